/**
 * The graphile-worker queue job behind a run, and the one change a task makes
 * to it directly: never retry a job that cannot be run safely (graphile-worker
 * 0.18 has no public call for a job that is still locked; this is what its
 * remove_job does to a locked job, keyed by id instead of job_key).
 */
import type pg from 'pg';
import type { Job } from 'graphile-worker';

export interface QueueJob {
  id: string;
  lockedBy: string;
  attempts: number;
  maxAttempts: number;
}

export function queueJobOf(job: Job): QueueJob {
  if (!job.locked_by) {
    throw new Error(`graphile-worker ran job ${job.id} without a lock; refusing to continue`);
  }
  return {
    id: job.id,
    lockedBy: job.locked_by,
    attempts: job.attempts,
    maxAttempts: job.max_attempts,
  };
}

/** Uses up the job's remaining attempts, so the failure graphile-worker records next is final. */
export async function stopRetrying(pool: pg.Pool, job: QueueJob): Promise<void> {
  await pool.query({
    name: 'heimdex_worker_stop_retrying',
    text: `update graphile_worker._private_jobs
              set attempts = max_attempts
            where id = $1::bigint and locked_by = $2`,
    values: [job.id, job.lockedBy],
  });
}
