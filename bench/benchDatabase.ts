/**
 * A fresh, migrated database for one benchmark run: on the given server, or
 * on an embedded PostgreSQL in a temporary folder. Dropped after.
 */
import type { Logger } from '../runtime/logger.js';
import { deriveLocalRoleUrls, withDatabase, type RoleUrls } from '../runtime/db/roleUrls.js';
import {
  createDatabase,
  dropDatabase,
  migrateLocally,
  scratchName,
  scratchServer,
} from '../dev/scratchDatabase.js';

export interface BenchDatabase {
  urls: RoleUrls & { admin: string };
  serverVersion: string;
  drop(): Promise<void>;
}

export async function benchDatabase(
  serverUrl: string | undefined,
  logger: Logger,
): Promise<BenchDatabase> {
  const server = await scratchServer(serverUrl, logger);
  const name = scratchName('bench');
  await createDatabase(server.url, name);
  const admin = withDatabase(server.url, name);
  await migrateLocally(admin, logger);
  return {
    urls: { ...deriveLocalRoleUrls(admin), admin },
    serverVersion: server.description,
    async drop() {
      await dropDatabase(server.url, name);
      await server.stop();
    },
  };
}
