/**
 * sql/schema.sql is what a DBA reads instead of replaying the migrations: it
 * must be exactly what pg_dump prints for our schemas after all of them.
 * Fails when it is stale; fix with `npm run sql-schema`. pg_dump reads only
 * servers up to its own major version, so on a newer server (the embedded
 * PostgreSQL 18 with the machine's pg_dump 15) the comparison is skipped,
 * saying so; CI's run on PostgreSQL 15 makes it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { sqlDir } from '../../runtime/paths.js';
import { dumpSqlSchema, normaliseDump, pgDumpMajor } from '../../dev/dumpSqlSchema.js';

let db: TestDatabase;

/** Where two texts part, with a few lines either side: node's assert truncates a 70 KB diff before it. */
function firstDifference(committed: string, dumped: string): string {
  const a = committed.split('\n');
  const b = dumped.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const around = (lines: string[]): string =>
    lines
      .slice(Math.max(0, i - 3), i + 6)
      .map((line, k) => `${Math.max(0, i - 3) + k + 1}: ${line}`)
      .join('\n');
  return (
    `sql/schema.sql differs from the dump from line ${i + 1} ` +
    `(${a.length} lines committed, ${b.length} dumped)\n` +
    `-- committed:\n${around(a)}\n-- dumped:\n${around(b)}`
  );
}
let serverMajor: number;

before(async () => {
  db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.urls.admin });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>(
      "select current_setting('server_version_num') as v",
    );
    serverMajor = Math.floor(Number(rows[0]!.v) / 10_000);
  } finally {
    await client.end();
  }
});
after(() => db.drop());

describe('sql/schema.sql', () => {
  it('is the schema after every migration, as pg_dump prints it (run `npm run sql-schema` to update it)', async (t) => {
    const major = await pgDumpMajor();
    if (major === undefined || major < serverMajor) {
      t.skip(`pg_dump ${major ?? '(none)'} cannot read PostgreSQL ${serverMajor}`);
      return;
    }
    const committed = await readFile(sqlDir('schema.sql'), 'utf8');
    const dumped = await dumpSqlSchema(db.urls.admin);
    assert.ok(committed === dumped, firstDifference(committed, dumped));
  });

  it('leaves out what differs between servers, pg_dump versions and runs', () => {
    const dump = [
      '--',
      '-- Dumped from database version 18.4',
      '-- Dumped by pg_dump version 18.4',
      '\\restrict h3Xq9',
      'SET statement_timeout = 0;',
      "SELECT pg_catalog.set_config('search_path', '', false);",
      '',
      '',
      '',
      'CREATE SCHEMA app_public;',
      '\\unrestrict h3Xq9',
      '',
    ].join('\n');
    const text = normaliseDump(dump);
    assert.doesNotMatch(text, /Dumped|restrict|SET statement_timeout|set_config/);
    assert.match(text, /^--\n\nCREATE SCHEMA app_public;\n$/m);
    assert.doesNotMatch(text, /\n\n\n/);
  });

  it("lists a policy's roles in name order, whatever order pg_dump found them in", () => {
    const policy = (roles: string) =>
      normaliseDump(
        `CREATE POLICY p ON app_public.jobs FOR SELECT TO ${roles} USING ((org_id = ( SELECT app_public.current_org_id() AS current_org_id)));\n` +
          `CREATE POLICY q ON app_public.jobs TO ${roles} WITH CHECK (true);\n` +
          `CREATE POLICY r ON app_public.jobs AS RESTRICTIVE FOR DELETE TO ${roles};\n`,
      );
    const sorted = policy('heimdex_admin, heimdex_owner, heimdex_viewer');
    assert.equal(policy('heimdex_viewer, heimdex_owner, heimdex_admin'), sorted);
    assert.equal(policy('heimdex_owner, heimdex_admin, heimdex_viewer'), sorted);
    assert.match(
      sorted,
      /FOR SELECT TO heimdex_admin, heimdex_owner, heimdex_viewer USING \(\(org_id/,
    );
    assert.match(
      sorted,
      /AS RESTRICTIVE FOR DELETE TO heimdex_admin, heimdex_owner, heimdex_viewer;/,
    );
  });
});
