/**
 * A database of this test file's own, cloned from the migrated template that
 * test/run.ts made; dropped by `drop()`. Nothing is shared between files.
 */
import { loadTestSettings } from './testSettings.js';
import { deriveLocalRoleUrls, withDatabase, type RoleUrls } from '../../runtime/db/roleUrls.js';
import { createDatabase, dropDatabase, scratchName } from '../../dev/scratchDatabase.js';

export interface TestDatabase {
  name: string;
  /** Per-role URLs, as local mode derives them. `admin` is a superuser. */
  urls: RoleUrls & { admin: string };
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const { databaseUrl, templateDatabase } = loadTestSettings();
  if (!databaseUrl || !templateDatabase) {
    throw new Error('Run the tests with `npm test` (test/run.ts prepares the database).');
  }
  const name = scratchName('t');
  await createDatabase(databaseUrl, name, templateDatabase);
  const admin = withDatabase(databaseUrl, name);
  return {
    name,
    urls: { ...deriveLocalRoleUrls(admin), admin },
    drop: () => dropDatabase(databaseUrl, name),
  };
}
