/**
 * A fresh, migrated database for one benchmark run: on BENCH_DATABASE_URL's
 * server, or on an embedded PostgreSQL in a temporary folder. Dropped after.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../server/logger.js';
import { startEmbeddedPostgres } from '../server/db/embeddedPostgres.js';
import { bootstrapLocalRoles, migrate } from '../server/db/migrate.js';
import { deriveLocalRoleUrls, withDatabase, type RoleUrls } from '../server/db/roleUrls.js';
import { freePort } from '../test/support/freePort.js';

export interface BenchDatabase {
  urls: RoleUrls;
  serverVersion: string;
  drop(): Promise<void>;
}

export async function benchDatabase(
  serverUrl: string | undefined,
  logger: Logger,
): Promise<BenchDatabase> {
  let url = serverUrl;
  let stopServer = async (): Promise<void> => {};
  if (!url) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'heimdex-bench-pg-'));
    const server = await startEmbeddedPostgres({ dataDir, port: await freePort(), logger });
    url = server.url;
    stopServer = async () => {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  const name = `heimdex_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const { rows } = await admin.query<{ server_version: string }>('show server_version');
  await admin.query(`create database ${admin.escapeIdentifier(name)}`);
  const dbUrl = withDatabase(url, name);
  await bootstrapLocalRoles(dbUrl, logger);
  await migrate({
    ownerUrl: deriveLocalRoleUrls(dbUrl).migration,
    logger,
    ownerManagesRoles: false,
  });
  return {
    urls: deriveLocalRoleUrls(dbUrl),
    serverVersion: `${rows[0]!.server_version} (${serverUrl ? 'BENCH_DATABASE_URL' : 'embedded'})`,
    async drop() {
      await admin.query(`drop database if exists ${admin.escapeIdentifier(name)} with (force)`);
      await admin.end();
      await stopServer();
    },
  };
}
