/**
 * Jobs the way the API makes and changes them (createJob, cancelJob: one
 * transaction as heimdex_member through the authenticator, with the caller's
 * claims, the job row and its event together), and the ledger read back as a
 * DBA sees it.
 */
import pg from 'pg';
import { CLAIM_SETTINGS, setLocalSettingsSql } from '../runtime/db/transactionSettings.js';

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

/** A URL opens a connection for this one call; a pool lends one. */
type Api = string | pg.Pool;

async function asMember<T>(
  api: Api,
  orgId: string,
  fn: (c: pg.ClientBase) => Promise<T>,
): Promise<T> {
  let c: pg.ClientBase;
  let done: () => Promise<void>;
  if (typeof api === 'string') {
    const client = new pg.Client({ connectionString: api });
    await client.connect();
    [c, done] = [client, () => client.end()];
  } else {
    const client = await api.connect();
    [c, done] = [client, async () => client.release()];
  }
  try {
    await c.query('begin');
    await c.query(
      `select ${setLocalSettingsSql(['role', CLAIM_SETTINGS.orgId, CLAIM_SETTINGS.sub, CLAIM_SETTINGS.role])}`,
      ['heimdex_member', orgId, 'test-user', 'member'],
    );
    const result = await fn(c);
    await c.query('commit');
    return result;
  } catch (err) {
    await c.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    await done();
  }
}

/** createJob: the job and its first event (NULL -> queued) in the request's transaction. */
export function createJob(
  api: Api,
  orgId: string,
  options: { failAtStage?: string; maxAttempts?: number } = {},
): Promise<string> {
  return asMember(api, orgId, async (c) => {
    const { rows } = await c.query<{ id: string }>(
      `insert into app_public.jobs (type, fail_at_stage, max_attempts)
       values ('mock_process', $1, coalesce($2::int, 3)) returning id`,
      [options.failAtStage ?? null, options.maxAttempts ?? null],
    );
    const id = rows[0]!.id;
    await c.query(
      `insert into app_public.job_events (job_id, prev_status, next_status) values ($1, null, 'queued')`,
      [id],
    );
    return id;
  });
}

/** cancelJob: queued|running -> canceled and its event, in one transaction. */
export function cancelJob(api: Api, orgId: string, id: string): Promise<void> {
  return asMember(api, orgId, async (c) => {
    const { rows } = await c.query<{ status: string; stage: string; progress: number }>(
      `select status, stage, progress from app_public.jobs where id = $1 for update`,
      [id],
    );
    const before = rows[0]!;
    await c.query(`update app_public.jobs set status = 'canceled' where id = $1`, [id]);
    await c.query(
      `insert into app_public.job_events (job_id, prev_status, next_status, stage, progress)
       values ($1, $2, 'canceled', $3, $4)`,
      [id, before.status, before.stage, before.progress],
    );
  });
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
