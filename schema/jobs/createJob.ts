/**
 * createJob, in the request's transaction: one call of
 * `app_private.create_job` (sql/migrations/000019_member_write_functions.sql),
 * which writes the job (whose insert trigger checks the org's quota of
 * active jobs, gives it its fair turn and enqueues the graphile-worker job),
 * its first event and its audit row, with the org and the requester taken
 * from the caller's claims. A known idempotency key returns the org's
 * existing job; two concurrent creates with the same key meet at the unique
 * constraint, and the second returns the first's job. `maxAttempts`, given
 * or the default, is lowered to the configured maximum. The job keeps the
 * trace of the request that created it, when there is one.
 */
import type { RequestDatabase } from '../context.js';
import type { CreateJobInput } from '../typegraphql/CreateJobInput.js';
import type { Job } from '../typegraphql/Job.js';
import { jobFromLedgerCall } from './jobColumns.js';
import type { JobLimits } from './jobLimits.js';

const CREATE_JOB = jobFromLedgerCall(
  'app_private.create_job($1, $2, $3, $4, $5, $6, $7, $8)',
  'r.created',
);

export async function createJob(
  db: RequestDatabase,
  input: CreateJobInput,
  limits: JobLimits,
  /** The creating request's trace (sql/migrations/000020_job_traceparent.sql); none: not traced. */
  traceparent?: string,
): Promise<{ job: Job; created: boolean }> {
  const { rows } = await db.query<Job & { created: boolean }>({
    text: CREATE_JOB,
    values: [
      input.type,
      input.failAtStage ?? null,
      input.idempotencyKey ?? null,
      input.priority ?? null,
      input.maxAttempts ?? null,
      limits.maxActivePerOrg,
      limits.maxAttempts,
      traceparent ?? null,
    ],
  });
  const row = rows[0];
  if (!row) throw new Error('app_private.create_job returned no row');
  const { created, ...job } = row;
  return { job, created };
}
