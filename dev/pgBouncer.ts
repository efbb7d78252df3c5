/**
 * A real PgBouncer (Debian's `pgbouncer`, 1.18 on bookworm) in front of the
 * test's PostgreSQL, on a free port, in transaction mode with a small pool:
 * many clients share a few server connections, as behind a production pooler.
 *
 * PgBouncer refuses to run as root; under root (CI) it is started with
 * `-u postgres` and its files are made readable by that user. Without the
 * binary this throws, saying how to install it: a test that needs the pooler
 * fails rather than passing without it. Tests and benchmarks share it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { localRolePassword, withUser } from '../runtime/db/roleUrls.js';
import { freePort } from './freePort.js';

/** Where Debian puts it, and where a build from source does. */
const CANDIDATES = [
  '/usr/sbin/pgbouncer',
  '/usr/bin/pgbouncer',
  '/usr/local/sbin/pgbouncer',
  '/usr/local/bin/pgbouncer',
];

export const INSTALL_PGBOUNCER =
  'PgBouncer is not installed: install it with `sudo apt-get install -y pgbouncer` (Debian/Ubuntu; .ci/run does this), then run the tests again';

export function pgBouncerBinary(): string {
  const found = CANDIDATES.find((file) => existsSync(file));
  if (!found) throw new Error(INSTALL_PGBOUNCER);
  return found;
}

export interface PgBouncer {
  /** `url` with its host and port replaced by the pooler's. */
  through(url: string): string;
  port: number;
  /** PgBouncer's log so far. */
  output(): string;
  stop(): Promise<void>;
}

const ROLES = ['heimdex_authenticator', 'heimdex_worker', 'heimdex_owner'];

/**
 * Starts PgBouncer for the server of `adminUrl` (any database on it), for the
 * local login roles (heimdex_authenticator, heimdex_worker, heimdex_owner).
 */
export async function startPgBouncer(
  adminUrl: string,
  options: { poolSize?: number } = {},
): Promise<PgBouncer> {
  const binary = pgBouncerBinary();
  const server = new URL(adminUrl);
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'heimdex-pgbouncer-'));
  await chmod(dir, 0o755);
  const rolePassword = localRolePassword(adminUrl);
  const users = ROLES.map((role) => [role, rolePassword]);
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  await writeFile(
    path.join(dir, 'userlist.txt'),
    users.map(([user, password]) => `${quote(user!)} ${quote(password!)}\n`).join(''),
    { mode: 0o644 },
  );
  const ini = [
    '[databases]',
    `* = host=${server.hostname} port=${server.port || 5432}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = scram-sha-256',
    `auth_file = ${path.join(dir, 'userlist.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize ?? 3}`,
    'max_client_conn = 500',
    // pg sends none of these by default; listed so a client library that does still connects.
    'ignore_startup_parameters = extra_float_digits',
    'server_login_retry = 1',
    'log_connections = 0',
    'log_disconnections = 0',
  ].join('\n');
  const iniFile = path.join(dir, 'pgbouncer.ini');
  await writeFile(iniFile, `${ini}\n`, { mode: 0o644 });

  const runAsRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(binary, [...(runAsRoot ? ['-u', 'postgres'] : []), iniFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const through = (url: string): string => {
    const pooled = new URL(url);
    pooled.hostname = '127.0.0.1';
    pooled.port = String(port);
    return pooled.toString();
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  const probeUrl = through(withUser(adminUrl, 'heimdex_authenticator', rolePassword));
  const deadline = Date.now() + 10_000;
  for (let lastError = ''; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`PgBouncer did not accept connections: ${lastError}\n${output}`);
    }
    const client = new pg.Client({ connectionString: probeUrl });
    try {
      await client.connect();
      await client.query('select 1');
      break;
    } catch (err) {
      lastError = (err as Error).message;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return { through, port, output: () => output, stop };
}
