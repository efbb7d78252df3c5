/**
 * `migrate`: roles, graphile-worker's schema, then our numbered SQL files.
 *
 * Each numbered file runs once, in its own transaction, recorded (with its
 * checksum) before its body runs; a session advisory lock makes a second
 * migrator wait instead of racing. A file that changed after it was applied
 * stops the run: migrations are forward-only.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import pg from 'pg';
import { runMigrations as runWorkerMigrations } from 'graphile-worker';
import type { Logger } from '../../runtime/logger.js';
import { graphileLogger } from '../../runtime/graphileLogger.js';
import { localRolePassword } from '../../runtime/db/roleUrls.js';
import { sqlDir } from '../../runtime/paths.js';
import { scramSha256Verifier } from './scramVerifier.js';

/** pg_advisory_lock key: the bytes of "heimdex" folded into a bigint. */
const MIGRATION_LOCK_KEY = 0x68656964_6578n;
const LOGIN_ROLES = ['heimdex_owner', 'heimdex_authenticator', 'heimdex_worker'] as const;

export interface MigrationFile {
  id: string;
  sql: string;
  checksum: string;
}

/** Passwords the owner sets for the login roles it manages (outside local mode). */
export type LoginPasswords = Partial<Record<'heimdex_authenticator' | 'heimdex_worker', string>>;

export class MigrationChecksumError extends Error {
  override readonly name = 'MigrationChecksumError';
}

export async function readMigrationFiles(dir = sqlDir('migrations')): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => /^\d{6}_[a-z0-9_]+\.sql$/.test(n)).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(`${dir}/${name}`, 'utf8');
      return {
        id: name.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    }),
  );
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'heimdex-migrate' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * ALTER ROLE takes no parameters: the role comes from our list, and the
 * password never leaves this process; only its SCRAM verifier is sent.
 */
async function setPassword(client: pg.Client, role: string, password: string): Promise<void> {
  const verifier = scramSha256Verifier(password);
  const statement = `alter role ${client.escapeIdentifier(role)} login password ${client.escapeLiteral(verifier)}`;
  await client.query(statement);
}

/**
 * Local mode: as the admin URL, create the roles, give each login role the
 * local password and let the owner create schemas in this database.
 */
export async function bootstrapLocalRoles(adminUrl: string, logger: Logger): Promise<void> {
  const password = localRolePassword(adminUrl);
  const rolesSql = await readFile(sqlDir('roles.sql'), 'utf8');
  await withClient(adminUrl, async (client) => {
    await client.query(rolesSql);
    for (const role of LOGIN_ROLES) await setPassword(client, role, password);
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    await client.query(
      `grant connect, create on database ${client.escapeIdentifier(rows[0]!.db)} to heimdex_owner`,
    );
  });
  logger.debug('local roles ready');
}

/** Applies everything pending as the owner. Safe to run from several processes at once. */
export async function migrate(options: {
  ownerUrl: string;
  logger: Logger;
  /** False when bootstrapLocalRoles already ran sql/roles.sql as the admin. */
  ownerManagesRoles: boolean;
  migrationsDir?: string;
  loginPasswords?: LoginPasswords;
}): Promise<{ applied: string[] }> {
  const { ownerUrl, logger } = options;
  const files = await readMigrationFiles(options.migrationsDir);
  const rolesSql = await readFile(sqlDir('roles.sql'), 'utf8');
  const workerGrantsSql = await readFile(sqlDir('worker_grants.sql'), 'utf8');

  return withClient(ownerUrl, async (client) => {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      // Idempotent; on a managed server this is where the roles get made.
      if (options.ownerManagesRoles) {
        await client.query(rolesSql);
        for (const [role, password] of Object.entries(options.loginPasswords ?? {})) {
          if (password) await setPassword(client, role, password);
        }
      }

      const pool = new pg.Pool({ connectionString: ownerUrl, max: 1 });
      const onError = (err: Error): void => logger.warn({ err }, 'migration connection failed');
      pool.on('error', onError);
      pool.on('connect', (c) => c.on('error', onError));
      try {
        await runWorkerMigrations({ pgPool: pool, logger: graphileLogger(logger) });
      } finally {
        await pool.end();
      }

      await client.query(`
        create schema if not exists heimdex_migrations;
        create table if not exists heimdex_migrations.applied (
          id text primary key,
          checksum text not null,
          applied_at timestamptz not null default now()
        );
        revoke all on schema heimdex_migrations from public;
      `);
      const { rows } = await client.query<{ id: string; checksum: string }>(
        'select id, checksum from heimdex_migrations.applied order by id',
      );
      const done = new Map(rows.map((r) => [r.id, r.checksum]));
      for (const [id, checksum] of done) {
        const file = files.find((f) => f.id === id);
        if (!file) {
          throw new MigrationChecksumError(
            `Migration ${id} is applied but its file is missing from sql/migrations; restore it`,
          );
        }
        if (file.checksum !== checksum) {
          throw new MigrationChecksumError(
            `Migration ${id} changed after it was applied; migrations are forward-only, so revert the file and add a new one`,
          );
        }
      }

      const applied: string[] = [];
      for (const file of files.filter((f) => !done.has(f.id))) {
        await client.query('begin');
        try {
          await client.query(
            'insert into heimdex_migrations.applied (id, checksum) values ($1, $2)',
            [file.id, file.checksum],
          );
          await client.query(file.sql);
          await client.query('commit');
        } catch (err) {
          await client.query('rollback');
          throw new Error(`Migration ${file.id} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(file.id);
        logger.info({ migration: file.id }, 'migration applied');
      }

      await client.query(workerGrantsSql);
      return { applied };
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  });
}

/** For readiness: true when every migration file has been applied. */
export async function pendingMigrations(client: pg.ClientBase): Promise<string[]> {
  const files = await readMigrationFiles();
  const { rows } = await client.query<{ id: string }>('select id from heimdex_migrations.applied');
  const done = new Set(rows.map((r) => r.id));
  return files.filter((f) => !done.has(f.id)).map((f) => f.id);
}
