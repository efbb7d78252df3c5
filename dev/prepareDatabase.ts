/**
 * Gets a migrated database for a local tool (`npm start`, `npm run migrate`,
 * `npm run schema`): starts the embedded PostgreSQL in local mode without
 * DATABASE_URL, then migrates as the migration job does.
 */
import type { Logger } from '../runtime/logger.js';
import { maskUrl, type Config } from '../runtime/config.js';
import { migrateDatabase } from '../server/db/migrateDatabase.js';
import { startEmbeddedPostgres } from './embeddedPostgres.js';

export interface PreparedDatabase {
  /** Local mode: the URL the per-role URLs are derived from. */
  adminUrl: string | undefined;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function prepareDatabase(config: Config, logger: Logger): Promise<PreparedDatabase> {
  const db = config.database;
  let adminUrl = db.adminUrl;
  let stop = async (): Promise<void> => {};
  if (db.embedded) {
    const embedded = await startEmbeddedPostgres({
      dataDir: db.embeddedDir,
      port: db.embeddedPort,
      logger,
    });
    adminUrl = embedded.url;
    stop = embedded.stop;
    logger.info(
      { url: maskUrl(adminUrl), dataDir: db.embeddedDir },
      'embedded PostgreSQL running (no DATABASE_URL set)',
    );
  }
  try {
    await migrateDatabase(config, adminUrl, logger);
    return { adminUrl, embedded: db.embedded, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
