/**
 * Jobs the way the API makes and changes them, for tests and benchmarks
 * (createJob, cancelJob: one transaction as heimdex_member through the
 * authenticator, with the caller's claims, the job row and its event together).
 */
import pg from 'pg';
import { CLAIM_SETTINGS, setLocalSettingsSql } from '../runtime/db/transactionSettings.js';

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
