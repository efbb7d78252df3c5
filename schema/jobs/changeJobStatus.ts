/**
 * cancelJob and retryJob. Each is one statement in the request's
 * transaction: lock the caller's job (RLS hides other orgs' jobs, so theirs
 * look missing), change its status only if the current status allows it,
 * and record the transition (job_events) and the action (audit_events). The
 * status machine trigger still guards the transition; the queue triggers
 * remove (cancel) or re-add (retry) the graphile-worker job. A retry queues
 * the job again, so it first sets the org's quota of active jobs, which the
 * queue trigger enforces (HX429, nothing written).
 */
import type { RequestDatabase } from '../context.js';
import type { Job } from '../typegraphql/Job.js';
import { HeimdexError } from '../../runtime/errors/HeimdexError.js';
import { jobColumns } from './jobColumns.js';
import { quotaCte, type JobLimits } from './jobLimits.js';

interface Transition {
  /** Statuses the job may leave this way. */
  from: readonly string[];
  /** The update's SET list (constant SQL). */
  set: string;
  /** The event's detail, a jsonb expression over `target` (the job before). */
  eventDetail: string;
  action: 'job.cancel' | 'job.retry';
  /** Whether the change queues the job, so counts against the org's quota of active jobs. */
  queues: boolean;
}

/** Queued or running jobs only. A running job's worker sees the cancel between stages. */
const CANCEL: Transition = {
  from: ['queued', 'running'],
  set: "status = 'canceled'",
  eventDetail: "'{}'::jsonb",
  action: 'job.cancel',
  queues: false,
};

/**
 * Failed or dead-lettered jobs only. A retry is a fresh start: attempt 0 and
 * the error cleared (a new queue job with the full max_attempts is added),
 * while the event keeps the attempt count and error it replaced.
 */
const RETRY: Transition = {
  from: ['failed', 'dead_letter'],
  set: "status = 'queued', attempt = 0, last_error_code = null, last_error_message = null",
  eventDetail: `jsonb_build_object('retry', true, 'previousAttempt', target.attempt,
    'previousErrorCode', target.last_error_code, 'previousErrorMessage', target.last_error_message)`,
  action: 'job.retry',
  queues: true,
};

function transitionSql({ set, eventDetail, action, queues }: Transition): string {
  return `with ${queues ? `${quotaCte('$3')}, ` : ''}target as (
      select id, status, attempt, last_error_code, last_error_message
      from app_public.jobs where id = $1 for update
    ), job as (
      update app_public.jobs j set ${set}
      from target${queues ? ', limits' : ''}
      where j.id = target.id and target.status = any($2::app_public.job_status[])
      returning j.*
    ), event as (
      insert into app_public.job_events (job_id, prev_status, next_status, stage, progress, detail)
      select job.id, target.status, job.status, job.stage, job.progress, ${eventDetail}
      from job, target
    ), audit as (
      insert into app_public.audit_events (action, target_type, target_id, detail)
      select '${action}', 'job', job.id::text, jsonb_build_object('from', target.status)
      from job, target
    )
    select target.status as "previousStatus", job.id is not null as changed, ${jobColumns('job')}
    from target left join job on true`;
}

type ChangeResult = Job & { previousStatus: string; changed: boolean };

async function changeStatus(
  db: RequestDatabase,
  id: string,
  transition: Transition,
  /** $3 on: the quota, for a change that queues the job. */
  more: unknown[] = [],
): Promise<Job> {
  const { rows } = await db.query<ChangeResult>({
    text: transitionSql(transition),
    values: [id, transition.from, ...more],
  });
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
  changeStatus(db, id, CANCEL);

export const retryJob = (db: RequestDatabase, id: string, limits: JobLimits): Promise<Job> =>
  changeStatus(db, id, RETRY, [limits.maxActivePerOrg]);
