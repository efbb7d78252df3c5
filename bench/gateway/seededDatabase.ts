/**
 * A fresh, migrated database with the benchmark's data: ORGS orgs with
 * JOBS_PER_ORG jobs each (one event per job), on the server of DATABASE_URL
 * (local mode) or on an embedded PostgreSQL in a temporary folder.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import { benchDatabase } from '../benchDatabase.js';

export const ORGS = 100;
export const JOBS_PER_ORG = 1_000;

export interface SeededDatabase {
  /** Superuser URL of the benchmark database (children derive their roles from it). */
  adminUrl: string;
  orgs: string[];
  /** A sample of (org, job) pairs to read by id. */
  jobs: Array<{ orgId: string; id: string }>;
  drop(): Promise<void>;
}

async function seed(
  adminUrl: string,
  orgs: string[],
): Promise<Array<{ orgId: string; id: string }>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // Seeded rows are history: no queue jobs, no status machine.
    await client.query('set session_replication_role = replica');
    await client.query(
      `insert into app_public.jobs (org_id, type, status, stage, progress, requested_by, created_at, started_at, finished_at, result)
       select o.org_id, 'mock_process', 'succeeded', 'indexing', 100, 'seed',
              now() - make_interval(mins => g), now() - make_interval(mins => g), now() - make_interval(mins => g),
              '{"stagesCompleted": 3}'
       from unnest($1::uuid[]) as o(org_id), generate_series(1, $2::int) as g`,
      [orgs, JOBS_PER_ORG],
    );
    await client.query(
      `insert into app_public.job_events (job_id, org_id, ts, prev_status, next_status, stage, progress)
       select id, org_id, created_at, null, 'queued', null, 0 from app_public.jobs`,
    );
    // PostGraphile standalone's W3: members may not insert jobs directly
    // (000019), so it creates jobs the way a PostGraphile user would, through a
    // function in its schema that calls the same app_private.create_job as the
    // gateway: the same job, event, audit row and queue job. Bench database only.
    await client.query(
      `create function app_public.bench_create_job(job_type app_public.job_type)
         returns app_public.jobs language sql volatile
       as $$ select (c.job).* from app_private.create_job(job_type, null, null, null, null, 10000, 25) as c $$`,
    );
    await client.query(
      'grant execute on function app_public.bench_create_job(app_public.job_type) to heimdex_member',
    );
    await client.query('analyze');
    const { rows } = await client.query<{ orgId: string; id: string }>(
      'select org_id as "orgId", id from app_public.jobs tablesample bernoulli (1) limit 1000',
    );
    return rows;
  } finally {
    await client.end();
  }
}

export async function createSeededDatabase(
  config: Config,
  logger: Logger,
): Promise<SeededDatabase> {
  const db = await benchDatabase(config.database.adminUrl, logger);
  const adminUrl = db.urls.admin;
  const orgs = Array.from({ length: ORGS }, () => randomUUID());
  const jobs = await seed(adminUrl, orgs);
  return { adminUrl, orgs, jobs, drop: db.drop };
}
