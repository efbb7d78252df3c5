/** Enums shared with PostGraphile (same names and values) and the viewer's role. */
import { registerEnumType } from 'type-graphql';

export enum JobType {
  MOCK_PROCESS = 'mock_process',
}
export enum JobStatus {
  QUEUED = 'queued',
  RUNNING = 'running',
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
  CANCELED = 'canceled',
  DEAD_LETTER = 'dead_letter',
}
export enum JobStage {
  EXTRACTING = 'extracting',
  ANALYZING = 'analyzing',
  INDEXING = 'indexing',
}
export enum Role {
  VIEWER = 'viewer',
  MEMBER = 'member',
  ADMIN = 'admin',
}

registerEnumType(JobType, { name: 'JobType' });
registerEnumType(JobStatus, { name: 'JobStatus' });
registerEnumType(JobStage, { name: 'JobStage' });
registerEnumType(Role, {
  name: 'Role',
  description: "The caller's role in its org.",
  valuesConfig: {
    VIEWER: { description: 'Reads jobs.' },
    MEMBER: { description: 'Reads, creates, cancels and retries jobs.' },
    ADMIN: { description: 'What a member can do, and reads the audit log.' },
  },
});
