/**
 * Gets a migrated database for a process: starts the embedded PostgreSQL in
 * local mode without DATABASE_URL, bootstraps local roles, migrates, and
 * returns the per-role URLs.
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres } from './embeddedPostgres.js';
import { bootstrapLocalRoles, migrate, type LoginPasswords } from './migrate.js';
import { roleUrl } from './roleUrls.js';
import { maskUrl } from '../config.js';

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
    const local = config.env === 'local' && adminUrl !== undefined;
    if (local && adminUrl) await bootstrapLocalRoles(adminUrl, logger);
    const { applied } = await migrate({
      ownerUrl: roleUrl(db, 'migration', adminUrl),
      logger,
      ownerManagesRoles: !local,
      loginPasswords: local ? {} : passwordsFromUrls(db),
    });
    logger.info({ applied: applied.length }, 'database migrated');
    return { adminUrl, embedded: db.embedded, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Outside local mode the platform creates only the owner; when the migration
 * job is also given the API's and worker's URLs, it sets those roles'
 * passwords from them, so each secret lives in one place.
 */
function passwordsFromUrls(db: Config['database']): LoginPasswords {
  const password = (url: string | undefined) =>
    url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
  return {
    heimdex_authenticator: password(db.apiUrl),
    heimdex_worker: password(db.workerUrl),
  };
}
