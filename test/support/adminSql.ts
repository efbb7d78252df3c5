/** SQL as the database's superuser, for arranging and inspecting what a test needs. */
import pg from 'pg';
import { loadTestSettings } from './testSettings.js';
import type { TestDatabase } from './testDatabase.js';

export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  db: TestDatabase,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.urls.admin });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Moves a job through the status machine as the worker would. */
export async function setJobStatus(
  db: TestDatabase,
  id: string,
  path: Array<'running' | 'succeeded' | 'failed' | 'dead_letter' | 'queued'>,
  error?: { code: string; message: string },
): Promise<void> {
  for (const status of path) {
    await adminQuery(db, 'update app_public.jobs set status = $2 where id = $1', [id, status]);
  }
  if (error) {
    await adminQuery(
      db,
      'update app_public.jobs set attempt = 2, last_error_code = $2, last_error_message = $3 where id = $1',
      [id, error.code, error.message],
    );
  }
}

/** The graphile-worker job with this key (payload lives in its private table). */
export function queueJobs(db: TestDatabase, key: string): Promise<Array<Record<string, unknown>>> {
  return adminQuery(
    db,
    `select t.identifier as task_identifier, j.payload, j.max_attempts, j.priority
       from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id
      where j.key = $1`,
    [key],
  );
}

/** SQL on the server's maintenance database (what may not run inside the test database). */
export async function serverQuery(text: string, values: unknown[] = []): Promise<void> {
  const { databaseUrl } = loadTestSettings();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}
