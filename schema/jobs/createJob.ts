/**
 * createJob, in the request's transaction and as the caller's role: the job
 * (whose insert trigger enqueues the graphile-worker job, key = job id), its
 * first event and an audit event, in one statement. A known idempotency key
 * returns the org's existing job; two concurrent creates with the same key
 * meet at the unique constraint, and the second returns the first's job.
 * The statement first sets the org's quota of active jobs, which the
 * ledger's queue trigger enforces (refusing the whole statement, HX429);
 * `maxAttempts` is lowered to the configured maximum.
 */
import type { RequestDatabase } from '../context.js';
import type { CreateJobInput } from '../typegraphql/CreateJobInput.js';
import type { Job } from '../typegraphql/Job.js';
import { jobColumns } from './jobColumns.js';
import { quotaCte, type JobLimits } from './jobLimits.js';

/**
 * Optional inputs, their columns and types: only what the caller gave is
 * written, the table's defaults do the rest.
 */
const OPTIONAL_COLUMNS = [
  ['failAtStage', 'fail_at_stage', 'app_public.job_stage'],
  ['idempotencyKey', 'idempotency_key', 'text'],
  ['priority', 'priority', 'integer'],
  ['maxAttempts', 'max_attempts', 'integer'],
] as const;

export async function createJob(
  db: RequestDatabase,
  input: CreateJobInput,
  limits: JobLimits,
): Promise<{ job: Job; created: boolean }> {
  const values: unknown[] = [limits.maxActivePerOrg, input.type];
  const columns = ['type'];
  const typed = ['$2::app_public.job_type'];
  const given = {
    ...input,
    maxAttempts: input.maxAttempts && Math.min(input.maxAttempts, limits.maxAttempts),
  };
  for (const [field, column, type] of OPTIONAL_COLUMNS) {
    const value = given[field];
    if (value === undefined || value === null) continue;
    values.push(value);
    columns.push(column);
    typed.push(`$${values.length}::${type}`);
  }
  const inserted = await db.query<Job>({
    text: `with ${quotaCte('$1')}, job as (
        insert into app_public.jobs (${columns.join(', ')}) select ${typed.join(', ')} from limits
        on conflict (org_id, idempotency_key) do nothing
        returning *
      ), event as (
        insert into app_public.job_events (job_id, prev_status, next_status, stage, progress)
        select id, null, status, stage, progress from job
      ), audit as (
        insert into app_public.audit_events (action, target_type, target_id, detail)
        select 'job.create', 'job', id::text,
               jsonb_build_object('type', type, 'idempotencyKey', idempotency_key)
        from job
      )
      select ${jobColumns('job')} from job`,
    values,
  });
  const job = inserted.rows[0];
  if (job) return { job, created: true };

  // The key is taken, by an earlier job or by a concurrent create that
  // committed first (the insert waited for it): this statement sees it.
  const existing = await db.query<Job>({
    text: `select ${jobColumns('j')} from app_public.jobs j
      where j.org_id = app_public.current_org_id() and j.idempotency_key = $1`,
    values: [given.idempotencyKey],
  });
  const found = existing.rows[0];
  if (!found) throw new Error('idempotency key conflict without a visible job');
  return { job: found, created: false };
}
