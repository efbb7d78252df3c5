/**
 * The migration runner on a database of its own (not cloned from the
 * template): forward-only, checksummed, atomic per file, safe to race.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadTestSettings } from '../support/testSettings.js';
import { createLogger } from '../../runtime/logger.js';
import {
  bootstrapLocalRoles,
  migrate,
  MigrationChecksumError,
  readMigrationFiles,
} from '../../server/db/migrate.js';
import { deriveLocalRoleUrls, withDatabase } from '../../runtime/db/roleUrls.js';
import { sqlDir } from '../../runtime/paths.js';
import { createDatabase, dropDatabase, scratchName } from '../../dev/scratchDatabase.js';

const logger = createLogger({ env: 'local', version: 'test', logLevel: 'silent', service: 'test' });
const serverUrl = loadTestSettings().databaseUrl!;
const name = scratchName('m');
const dbUrl = withDatabase(serverUrl, name);
const ownerUrl = deriveLocalRoleUrls(dbUrl).migration;
let admin: pg.Client;

async function appliedIds(): Promise<string[]> {
  const { rows } = await admin.query('select id from heimdex_migrations.applied order by id');
  return rows.map((r) => r.id);
}

before(async () => {
  await createDatabase(serverUrl, name);
  await bootstrapLocalRoles(dbUrl, logger);
  admin = new pg.Client({ connectionString: dbUrl });
  await admin.connect();
});
after(async () => {
  await admin.end();
  await dropDatabase(serverUrl, name);
});

it('two migrators started at once apply every file exactly once', async () => {
  const run = () => migrate({ ownerUrl, logger, ownerManagesRoles: false });
  const [a, b] = await Promise.all([run(), run()]);
  const files = (await readMigrationFiles()).map((f) => f.id);
  assert.deepEqual([...a.applied, ...b.applied].sort(), files);
  assert.deepEqual(await appliedIds(), files);
});

it('a second run applies nothing', async () => {
  const { applied } = await migrate({ ownerUrl, logger, ownerManagesRoles: false });
  assert.deepEqual(applied, []);
});

it('a failing file is rolled back whole and not recorded', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'heimdex-migrations-'));
  try {
    await cp(sqlDir('migrations'), dir, { recursive: true });
    await writeFile(
      path.join(dir, '999998_half_done.sql'),
      'create table app_private.half_done (id int);\nselect 1 / 0;\n',
    );
    await assert.rejects(
      migrate({ ownerUrl, logger, ownerManagesRoles: false, migrationsDir: dir }),
      /Migration 999998_half_done failed: division by zero/,
    );
    assert.ok(!(await appliedIds()).includes('999998_half_done'));
    const { rows } = await admin.query("select to_regclass('app_private.half_done') as t");
    assert.equal(rows[0].t, null);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('refuses to run when an applied file has changed', async () => {
  await admin.query(
    "update heimdex_migrations.applied set checksum = 'edited' where id = '000002_jobs'",
  );
  try {
    await assert.rejects(
      migrate({ ownerUrl, logger, ownerManagesRoles: false }),
      (err: unknown) =>
        err instanceof MigrationChecksumError &&
        /000002_jobs changed after it was applied/.test(err.message),
    );
  } finally {
    const files = await readMigrationFiles();
    await admin.query('update heimdex_migrations.applied set checksum = $1 where id = $2', [
      files.find((f) => f.id === '000002_jobs')!.checksum,
      '000002_jobs',
    ]);
  }
});

it('the role bootstrap is idempotent and restores drifted attributes', async () => {
  await admin.query('alter role heimdex_authenticator inherit');
  await bootstrapLocalRoles(dbUrl, logger);
  await bootstrapLocalRoles(dbUrl, logger);
  const { rows } = await admin.query(
    "select rolinherit from pg_roles where rolname = 'heimdex_authenticator'",
  );
  assert.equal(rows[0].rolinherit, false);
});

it("outside local mode the owner sets the login roles' passwords it is given", async () => {
  const hash = async () =>
    (await admin.query("select rolpassword from pg_authid where rolname = 'heimdex_worker'"))
      .rows[0].rolpassword as string;
  const before = await hash();
  // As a role that manages roles (here the superuser; on a managed server the
  // platform-made owner), with the same password: a fresh SCRAM salt proves
  // the password was set without changing what the other test files use.
  await migrate({
    ownerUrl: dbUrl,
    logger,
    ownerManagesRoles: true,
    loginPasswords: { heimdex_worker: 'heimdex-local' },
  });
  assert.notEqual(await hash(), before);
});
