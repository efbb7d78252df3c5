/**
 * A fresh, migrated database with the benchmark's data: ORGS orgs with
 * JOBS_PER_ORG jobs each (one event per job), on the server of DATABASE_URL
 * (local mode) or on an embedded PostgreSQL in a temporary folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../../server/config.js';
import type { Logger } from '../../server/logger.js';
import { startEmbeddedPostgres } from '../../server/db/embeddedPostgres.js';
import { bootstrapLocalRoles, migrate } from '../../server/db/migrate.js';
import { deriveLocalRoleUrls, withDatabase } from '../../server/db/roleUrls.js';
import { freePort } from '../../test/support/freePort.js';

export const ORGS = 100;
export const JOBS_PER_ORG = 1_000;

export interface BenchDatabase {
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
    await client.query('analyze');
    const { rows } = await client.query<{ orgId: string; id: string }>(
      'select org_id as "orgId", id from app_public.jobs tablesample bernoulli (1) limit 1000',
    );
    return rows;
  } finally {
    await client.end();
  }
}

export async function createBenchDatabase(config: Config, logger: Logger): Promise<BenchDatabase> {
  let serverUrl = config.database.adminUrl;
  let stopServer = async (): Promise<void> => {};
  if (!serverUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'heimdex-bench-pg-'));
    const embedded = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      logger,
      ephemeral: true,
    });
    serverUrl = embedded.url;
    stopServer = async () => {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const name = `heimdex_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${admin.escapeIdentifier(name)}`);
  const adminUrl = withDatabase(serverUrl, name);
  await bootstrapLocalRoles(adminUrl, logger);
  await migrate({
    ownerUrl: deriveLocalRoleUrls(adminUrl).migration,
    logger,
    ownerManagesRoles: false,
  });
  const orgs = Array.from({ length: ORGS }, () => randomUUID());
  const jobs = await seed(adminUrl, orgs);
  return {
    adminUrl,
    orgs,
    jobs,
    async drop() {
      await admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`);
      await admin.end();
      await stopServer();
    },
  };
}
