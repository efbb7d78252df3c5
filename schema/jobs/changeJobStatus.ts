/**
 * cancelJob and retryJob: one call each of `app_private.cancel_job` or
 * `app_private.retry_job` (sql/migrations/000019_member_write_functions.sql),
 * which lock the caller's job (another org's job is missing), change its
 * status only if the current status allows it, and write the transition's
 * job_event and audit_event rows themselves. The status machine trigger
 * still guards the transition; the queue triggers remove (cancel) or re-add
 * (retry) the graphile-worker job. A retry queues the job again, so it
 * counts against the org's quota of active jobs (HX429, nothing written).
 */
import type { RequestDatabase } from '../context.js';
import type { Job } from '../typegraphql/Job.js';
import { HeimdexError } from '../../runtime/errors/HeimdexError.js';
import { jobFromLedgerCall } from './jobColumns.js';
import type { JobLimits } from './jobLimits.js';

const OUTCOME = 'r.previous_status as "previousStatus", r.changed';
/** Queued or running jobs only. A running job's worker sees the cancel between stages. */
const CANCEL_JOB = jobFromLedgerCall('app_private.cancel_job($1)', OUTCOME);
/** Failed or dead-lettered jobs only: a fresh start from attempt 0, the error cleared. */
const RETRY_JOB = jobFromLedgerCall('app_private.retry_job($1, $2)', OUTCOME);

type ChangeResult = Job & { previousStatus: string; changed: boolean };

async function changeStatus(db: RequestDatabase, text: string, values: unknown[]): Promise<Job> {
  const { rows } = await db.query<ChangeResult>({ text, values });
  const row = rows[0];
  if (!row) throw new HeimdexError('NOT_FOUND', 'Job not found.');
  const { previousStatus, changed, ...job } = row;
  if (!changed) {
    throw new HeimdexError(
      'CONFLICT',
      `The job's status (${previousStatus.toUpperCase()}) does not allow this change.`,
    );
  }
  return job;
}

export const cancelJob = (db: RequestDatabase, id: string): Promise<Job> =>
  changeStatus(db, CANCEL_JOB, [id]);

export const retryJob = (db: RequestDatabase, id: string, limits: JobLimits): Promise<Job> =>
  changeStatus(db, RETRY_JOB, [id, limits.maxActivePerOrg]);
