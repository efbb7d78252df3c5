/**
 * Databases that tests and benchmarks make and throw away, created and
 * dropped in this one place. Their names are ours (a prefix and random hex),
 * checked against an allow-list before they are escaped into SQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../runtime/logger.js';
import { bootstrapLocalRoles, migrate } from '../server/db/migrate.js';
import { deriveLocalRoleUrls } from '../runtime/db/roleUrls.js';
import { startEmbeddedPostgres } from './embeddedPostgres.js';
import { freePort } from './freePort.js';

const SCRATCH_NAME = /^heimdex_[a-z]+_[0-9a-f]{8,16}$/;
const SOURCE_DB_IN_USE = '55006';

export function scratchName(kind: string): string {
  return checked(`heimdex_${kind}_${randomBytes(6).toString('hex')}`);
}

function checked(name: string): string {
  if (!SCRATCH_NAME.test(name)) throw new Error(`not a scratch database name: ${name}`);
  return name;
}

async function asServerAdmin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `create database`, optionally cloned from `template` (retried while another clone reads it). */
export function createDatabase(serverUrl: string, name: string, template?: string): Promise<void> {
  return asServerAdmin(serverUrl, async (c) => {
    const from = template ? ` template ${c.escapeIdentifier(checked(template))}` : '';
    const statement = `create database ${c.escapeIdentifier(checked(name))}${from}`;
    for (let attempt = 0; ; attempt++) {
      try {
        await c.query(statement);
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== SOURCE_DB_IN_USE || attempt >= 50) throw err;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  });
}

/** How long `dropDatabase` lets sessions that are already closing leave before it forces them out. */
const CLOSING_SESSIONS_GRACE_MS = 2_000;

/**
 * `drop database ... with (force)`, once the sessions still on it have had a
 * moment to leave. pg-pool's `end()` resolves before its sockets close; a
 * forced drop in that window terminates a closing session, and the pool,
 * which no longer listens, turns the 57P01 into an uncaught exception.
 */
export function dropDatabase(serverUrl: string, name: string): Promise<void> {
  return asServerAdmin(serverUrl, async (c) => {
    const deadline = Date.now() + CLOSING_SESSIONS_GRACE_MS;
    while (Date.now() < deadline) {
      const { rows } = await c.query<{ sessions: number }>(
        'select count(*)::int as sessions from pg_stat_activity where datname = $1',
        [checked(name)],
      );
      if (rows[0]?.sessions === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const statement = `drop database if exists ${c.escapeIdentifier(checked(name))} with (force)`;
    await c.query(statement);
  });
}

/** What local mode does to a new database: the roles with their local password, then every migration. */
export async function migrateLocally(databaseUrl: string, logger: Logger): Promise<void> {
  await bootstrapLocalRoles(databaseUrl, logger);
  await migrate({
    ownerUrl: deriveLocalRoleUrls(databaseUrl).migration,
    logger,
    ownerManagesRoles: false,
  });
}

export interface ScratchServer {
  /** Superuser URL. */
  url: string;
  /** e.g. `18.4 (embedded)`. */
  description: string;
  stop(): Promise<void>;
}

/** The server at `url` when one is given, else an embedded one in a temporary folder, deleted on stop. */
export async function scratchServer(
  url: string | undefined,
  logger: Logger,
): Promise<ScratchServer> {
  let serverUrl = url;
  let stop = async (): Promise<void> => {};
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres({
      dataDir: await mkdtemp(path.join(tmpdir(), 'heimdex-scratch-pg-')),
      port: await freePort(),
      logger,
      ephemeral: true,
    });
    serverUrl = embedded.url;
    stop = embedded.stop;
  }
  const version = await asServerAdmin(serverUrl, async (c) => {
    const { rows } = await c.query<{ server_version: string }>('show server_version');
    return rows[0]!.server_version;
  });
  return { url: serverUrl, description: `${version} (${url ? 'given' : 'embedded'})`, stop };
}
