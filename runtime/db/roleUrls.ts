/**
 * Connection URLs per role. Outside local mode each process is given its own
 * URL; in local mode they are derived from the one DATABASE_URL, with the
 * password local mode sets for each login role.
 */
import { ConfigError, type DatabaseConfig } from '../config.js';

export interface RoleUrls {
  /** Local mode only: the URL allowed to create roles. */
  admin: string | undefined;
  /** heimdex_authenticator: the API. */
  api: string;
  /** heimdex_worker: the worker. */
  worker: string;
  /** heimdex_owner: migrations. */
  migration: string;
}

/** The password local mode gives its login roles (the admin URL's, when it has one). */
export function localRolePassword(adminUrl: string): string {
  return decodeURIComponent(new URL(adminUrl).password) || 'heimdex-local';
}

export function withUser(baseUrl: string, user: string, password: string): string {
  const url = new URL(baseUrl);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(password);
  return url.toString();
}

export function withDatabase(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function deriveLocalRoleUrls(adminUrl: string): RoleUrls {
  const password = localRolePassword(adminUrl);
  return {
    admin: adminUrl,
    api: withUser(adminUrl, 'heimdex_authenticator', password),
    worker: withUser(adminUrl, 'heimdex_worker', password),
    migration: withUser(adminUrl, 'heimdex_owner', password),
  };
}

export type DatabaseRole = 'api' | 'worker' | 'migration';

const URL_VARIABLE: Record<DatabaseRole, string> = {
  api: 'API_DATABASE_URL',
  worker: 'WORKER_DATABASE_URL',
  migration: 'MIGRATION_DATABASE_URL',
};

/**
 * The URL one process connects with. Outside local mode a process is given
 * only its own URL, so only that one is required.
 */
export function roleUrl(db: DatabaseConfig, role: DatabaseRole, adminUrl = db.adminUrl): string {
  const explicit = { api: db.apiUrl, worker: db.workerUrl, migration: db.migrationUrl }[role];
  const url = explicit ?? (adminUrl ? deriveLocalRoleUrls(adminUrl)[role] : undefined);
  if (!url) {
    throw new ConfigError(
      `Invalid configuration:\n  ${URL_VARIABLE[role]}: missing; set it (or DATABASE_URL in local mode)`,
    );
  }
  return url;
}

/**
 * The URL for connections that keep session state (LISTEN, session advisory
 * locks): with DB_POOLER=transaction, DIRECT_DATABASE_URL (in local mode
 * derived from DATABASE_URL, which never goes through the pooler); without a
 * pooler, the role's own URL.
 */
export function directRoleUrl(
  db: DatabaseConfig,
  role: DatabaseRole,
  ownUrl = roleUrl(db, role),
): string {
  if (db.pooler === 'none') return ownUrl;
  const url = db.directUrl ?? (db.adminUrl ? deriveLocalRoleUrls(db.adminUrl)[role] : undefined);
  if (!url) {
    throw new ConfigError(
      `Invalid configuration:\n  DIRECT_DATABASE_URL: missing; DB_POOLER=transaction needs this process's role (as in ${URL_VARIABLE[role]}) straight to PostgreSQL, for session state the pooler cannot keep`,
    );
  }
  return url;
}

/**
 * The API's URL on the read replica (READ_DATABASE_URL), if there is one:
 * outside local mode as given (heimdex_authenticator on the replica); in
 * local mode, like DATABASE_URL, a URL of the replica whose user becomes
 * heimdex_authenticator with the local password (roles replicate from the
 * primary, passwords included).
 */
export function readReplicaUrl(db: DatabaseConfig): string | undefined {
  if (!db.readUrl || !db.adminUrl) return db.readUrl;
  return withUser(db.readUrl, 'heimdex_authenticator', localRolePassword(db.adminUrl));
}
