/**
 * Connection URLs per role. Outside local mode each process is given its own
 * URL; in local mode they are derived from the one DATABASE_URL, with the
 * password local mode sets for each login role.
 */
import type { DatabaseConfig } from '../config.js';

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

/** The URLs for this process: explicit ones win, local mode derives the rest. */
export function resolveRoleUrls(db: DatabaseConfig, adminUrl = db.adminUrl): RoleUrls {
  const derived = adminUrl ? deriveLocalRoleUrls(adminUrl) : undefined;
  const api = db.apiUrl ?? derived?.api;
  const worker = db.workerUrl ?? derived?.worker;
  const migration = db.migrationUrl ?? derived?.migration;
  if (!api || !worker || !migration) {
    throw new Error(
      'No database URL: set DATABASE_URL (local mode) or API_DATABASE_URL, WORKER_DATABASE_URL and MIGRATION_DATABASE_URL',
    );
  }
  return { admin: adminUrl, api, worker, migration };
}
