/**
 * What the migration job does with its configuration: in local mode, the
 * login roles first (from the admin URL); then every pending migration, as
 * the owner. Outside local mode the platform creates only the owner; when the
 * job is also given the API's and worker's URLs, it sets those roles'
 * passwords from them, so each secret lives in one place.
 */
import type { Config } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import { roleUrl } from '../../runtime/db/roleUrls.js';
import { bootstrapLocalRoles, migrate, type LoginPasswords } from './migrate.js';

export async function migrateDatabase(
  config: Config,
  adminUrl: string | undefined,
  logger: Logger,
): Promise<{ applied: string[] }> {
  const db = config.database;
  const local = config.env === 'local' && adminUrl !== undefined;
  if (local && adminUrl) await bootstrapLocalRoles(adminUrl, logger);
  const { applied } = await migrate({
    ownerUrl: roleUrl(db, 'migration', adminUrl),
    logger,
    ownerManagesRoles: !local,
    loginPasswords: local ? {} : passwordsFromUrls(db),
  });
  logger.info({ applied: applied.length }, 'database migrated');
  return { applied };
}

function passwordsFromUrls(db: Config['database']): LoginPasswords {
  const password = (url: string | undefined) =>
    url ? decodeURIComponent(new URL(url).password) || undefined : undefined;
  return {
    heimdex_authenticator: password(db.apiUrl),
    heimdex_worker: password(db.workerUrl),
  };
}
