/** The ledger read back as a DBA sees it: jobs, their events, their graphile-worker jobs. */
import type pg from 'pg';

export interface JobRow {
  id: string;
  org_id: string;
  status: string;
  stage: string | null;
  progress: number;
  attempt: number;
  max_attempts: number;
  result: Record<string, unknown> | null;
  last_error_code: string | null;
  last_error_message: string | null;
  started_at: Date | null;
  finished_at: Date | null;
}

export interface EventRow {
  org_id: string;
  prev_status: string | null;
  next_status: string;
  stage: string | null;
  progress: number | null;
  detail: Record<string, unknown>;
}

export interface QueueRow {
  attempts: number;
  max_attempts: number;
  locked_at: Date | null;
  run_at: Date;
  last_error: string | null;
}

export async function jobOf(admin: pg.Pool | pg.ClientBase, id: string): Promise<JobRow> {
  const { rows } = await admin.query<JobRow>('select * from app_public.jobs where id = $1', [id]);
  return rows[0]!;
}

export async function eventsOf(admin: pg.Pool, id: string): Promise<EventRow[]> {
  const { rows } = await admin.query<EventRow>(
    `select org_id, prev_status, next_status, stage, progress, detail
       from app_public.job_events where job_id = $1 order by id`,
    [id],
  );
  return rows;
}

/** The graphile-worker job behind a ledger job (keyed by its id), if there is one. */
export async function queueJobOf(admin: pg.Pool, id: string): Promise<QueueRow | undefined> {
  const { rows } = await admin.query<QueueRow>(
    `select attempts, max_attempts, locked_at, run_at, last_error
       from graphile_worker.jobs where key = $1`,
    [id],
  );
  return rows[0];
}

/**
 * graphile-worker retries after exp(attempts) seconds; tests move a waiting
 * retry's run_at to now with graphile-worker's own reschedule_jobs, so the
 * retry is real but quick.
 */
export async function expediteRetries(admin: pg.Pool): Promise<void> {
  await admin.query(
    `select graphile_worker.reschedule_jobs(
       array(select id from graphile_worker.jobs
              where run_at > now() and locked_at is null and attempts < max_attempts),
       run_at := now())`,
  );
}
