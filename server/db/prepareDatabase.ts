/**
 * Gets a migrated database for a process: starts the embedded PostgreSQL in
 * local mode without DATABASE_URL, bootstraps local roles, migrates, and
 * returns the per-role URLs.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres } from './embeddedPostgres.js';
import { bootstrapLocalRoles, migrate } from './migrate.js';
import { resolveRoleUrls, type RoleUrls } from './roleUrls.js';
import { maskUrl } from '../config.js';

export interface PreparedDatabase {
  urls: RoleUrls;
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
    const urls = resolveRoleUrls(db, adminUrl);
    const local = config.env === 'local' && urls.admin !== undefined;
    if (local && urls.admin) await bootstrapLocalRoles(urls.admin, logger);
    const { applied } = await migrate({
      ownerUrl: urls.migration,
      logger,
      ownerManagesRoles: !local,
    });
    logger.info({ applied: applied.length }, 'database migrated');
    return { urls, embedded: db.embedded, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
