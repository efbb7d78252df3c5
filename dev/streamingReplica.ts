/**
 * A PostgreSQL primary and a streaming replica of it, both on free ports in
 * a temporary folder, for tests and benchmarks of READ_DATABASE_URL.
 *
 * The primary is a server of our own, not the suite's: the embedded
 * PostgreSQL 18 package ships no pg_basebackup (and a replica needs the
 * primary's major version), and the machine's PostgreSQL 15 accepts no
 * replication connections in its pg_hba.conf, which we do not edit. initdb's
 * own pg_hba.conf allows replication from 127.0.0.1 with a password. The
 * replica is `pg_basebackup -R -X stream` of it (standby.signal and
 * primary_conninfo written by pg_basebackup), started as a hot standby.
 * Without server binaries that include pg_basebackup, this throws, saying
 * what to install.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../runtime/logger.js';
import { childEnv } from '../runtime/process/childProcess.js';
import { postgresSystemUser, startEmbeddedPostgres, type Binaries } from './embeddedPostgres.js';
import { freePort } from './freePort.js';

const run = promisify(execFile);
const DEBIAN_SERVERS = '/usr/lib/postgresql';
const STREAMING_TIMEOUT_MS = 30_000;

export const INSTALL_POSTGRES_SERVER =
  'A streaming replica needs PostgreSQL server binaries with pg_basebackup (the embedded package has none): install them with `sudo apt-get install -y postgresql-15` (Debian/Ubuntu), then run the tests again';

/** The newest /usr/lib/postgresql/<major>/bin with initdb, postgres and pg_basebackup. */
export function serverBinDir(): string {
  const majors = existsSync(DEBIAN_SERVERS)
    ? readdirSync(DEBIAN_SERVERS)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const major of majors) {
    const dir = path.join(DEBIAN_SERVERS, major, 'bin');
    if (['initdb', 'postgres', 'pg_basebackup'].every((bin) => existsSync(path.join(dir, bin)))) {
      return dir;
    }
  }
  throw new Error(INSTALL_POSTGRES_SERVER);
}

export interface ReplicatedPostgres {
  /** Superuser URLs (database `postgres`); the replica only reads. */
  primaryUrl: string;
  replicaUrl: string;
  /** Fast shutdown of the replica alone (its files stay until stop()). */
  stopReplica(): Promise<void>;
  stop(): Promise<void>;
}

export async function startReplicatedPostgres(logger: Logger): Promise<ReplicatedPostgres> {
  const binDir = serverBinDir();
  const binaries: Binaries = {
    initdb: path.join(binDir, 'initdb'),
    postgres: path.join(binDir, 'postgres'),
  };
  const root = await mkdtemp(path.join(tmpdir(), 'heimdex-replication-'));
  await chmod(root, 0o755);
  const log = logger.child({ component: 'streaming-replica' });
  const primary = await startEmbeddedPostgres({
    dataDir: path.join(root, 'primary'),
    port: await freePort(),
    logger: log,
    binaries,
  });
  let replica: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
  const stop = async (): Promise<void> => {
    await replica?.stop();
    await primary.stop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const replicaDir = path.join(root, 'replica');
    await mkdir(replicaDir, { mode: 0o700 });
    const runAs = userInfo().uid === 0 ? await postgresSystemUser() : {};
    if (runAs.uid !== undefined) await chown(replicaDir, runAs.uid, runAs.gid ?? runAs.uid);
    await run(
      path.join(binDir, 'pg_basebackup'),
      ['-d', primary.url, '-D', replicaDir, '-R', '-X', 'stream', '--checkpoint=fast'],
      { ...runAs, env: childEnv({ LC_ALL: 'C' }) },
    ).catch((err: { stderr?: string; message: string }) => {
      throw new Error(`pg_basebackup failed: ${err.stderr?.trim() || err.message}`, { cause: err });
    });
    replica = await startEmbeddedPostgres({
      dataDir: replicaDir,
      port: await freePort(),
      logger: log,
      binaries,
    });
    await waitUntilStreaming(replica.url);
  } catch (err) {
    await stop();
    throw err;
  }
  const started = replica;
  return {
    primaryUrl: primary.url,
    replicaUrl: started.url,
    stopReplica: () => started.stop(),
    stop,
  };
}

/** Until the replica's WAL receiver streams from the primary. */
async function waitUntilStreaming(replicaUrl: string): Promise<void> {
  const deadline = Date.now() + STREAMING_TIMEOUT_MS;
  const client = new pg.Client({ connectionString: replicaUrl });
  await client.connect();
  try {
    for (;;) {
      const { rows } = await client.query<{ status: string }>(
        'select status from pg_stat_wal_receiver',
      );
      if (rows[0]?.status === 'streaming') return;
      if (Date.now() > deadline) {
        throw new Error(`the replica is not streaming after ${STREAMING_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
}
