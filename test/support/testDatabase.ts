/**
 * A database of this test file's own, cloned from the migrated template that
 * test/run.ts made; dropped by `drop()`. Nothing is shared between files.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadTestSettings } from '../../server/config.js';
import { deriveLocalRoleUrls, withDatabase, type RoleUrls } from '../../server/db/roleUrls.js';

export interface TestDatabase {
  name: string;
  /** Per-role URLs, as local mode derives them. `admin` is a superuser. */
  urls: RoleUrls & { admin: string };
  drop(): Promise<void>;
}

const SOURCE_DB_IN_USE = '55006';

export async function createTestDatabase(): Promise<TestDatabase> {
  const { databaseUrl, templateDatabase } = loadTestSettings();
  if (!databaseUrl || !templateDatabase) {
    throw new Error('Run the tests with `npm test` (test/run.ts prepares the database).');
  }
  const name = `heimdex_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(
          `create database ${admin.escapeIdentifier(name)} template ${admin.escapeIdentifier(templateDatabase)}`,
        );
        break;
      } catch (err) {
        // another file is cloning the same template right now
        if ((err as { code?: string }).code !== SOURCE_DB_IN_USE || attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  const urls = deriveLocalRoleUrls(withDatabase(databaseUrl, name));
  return {
    name,
    urls: { ...urls, admin: withDatabase(databaseUrl, name) },
    async drop() {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${c.escapeIdentifier(name)} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}
