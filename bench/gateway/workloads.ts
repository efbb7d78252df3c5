/**
 * The three workloads, as request bodies with tokens that cycle over the
 * orgs (so both servers verify and cache the same set of tokens).
 */
import type { SeededDatabase } from './seededDatabase.js';

export type ServerKind = 'gateway' | 'postgraphile';

export interface Workload {
  name: string;
  /** The n-th request: token and JSON body. */
  request(n: number, server: ServerKind): { token: string; body: string };
  /** The data a correct answer has, to check both servers before measuring. */
  check(data: Record<string, unknown>): boolean;
}

const JOB_FIELDS = 'id status stage progress attempt createdAt finishedAt';

export function workloads(db: SeededDatabase, tokenOf: (orgId: string) => string): Workload[] {
  const byId = `query JobById($id: UUID!) { job(id: $id) { ${JOB_FIELDS} } }`;
  const newest = `query NewestJobs { jobs(first: 20, orderBy: CREATED_AT_DESC) { totalCount nodes { ${JOB_FIELDS} } } }`;
  const create = {
    gateway:
      'mutation CreateJob { createJob(input: { type: MOCK_PROCESS }) { job { id status } } }',
    postgraphile:
      'mutation CreateJob { createJob: benchCreateJob(input: { jobType: MOCK_PROCESS }) { job: result { id status } } }',
  };
  const org = (n: number) => db.orgs[n % db.orgs.length]!;
  return [
    {
      name: 'W1 job by id',
      request(n) {
        const job = db.jobs[n % db.jobs.length]!;
        return {
          token: tokenOf(job.orgId),
          body: JSON.stringify({ query: byId, variables: { id: job.id } }),
        };
      },
      check: (data) => (data['job'] as { status?: string } | null)?.status === 'SUCCEEDED',
    },
    {
      name: 'W2 20 newest jobs',
      request: (n) => ({ token: tokenOf(org(n)), body: JSON.stringify({ query: newest }) }),
      check: (data) => (data['jobs'] as { nodes: unknown[] }).nodes.length === 20,
    },
    {
      name: 'W3 createJob',
      request: (n, server) => ({
        token: tokenOf(org(n)),
        body: JSON.stringify({ query: create[server] }),
      }),
      check: (data) => (data['createJob'] as { job: { status: string } }).job.status === 'QUEUED',
    },
  ];
}
