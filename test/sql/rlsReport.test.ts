/** The DBA's audit script runs as written and reports what the catalog holds. */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { sqlDir } from '../../runtime/paths.js';

let db: TestDatabase;
let sections: pg.QueryResult[];

before(async () => {
  db = await createTestDatabase();
  const client = new pg.Client({ connectionString: db.urls.admin });
  await client.connect();
  try {
    const result = (await client.query(
      await readFile(sqlDir('audit/rls_report.sql'), 'utf8'),
    )) as unknown as pg.QueryResult[];
    sections = result;
  } finally {
    await client.end();
  }
});
after(() => db.drop());

it('reports every table with RLS enabled and forced', () => {
  const tables = sections[0]!.rows;
  for (const name of ['jobs', 'job_events', 'audit_events']) {
    const row = tables.find((r) => r.table === name);
    assert.ok(row, name);
    assert.equal(row.rls_enabled, true);
    assert.equal(row.rls_forced, true);
    assert.equal(row.owner, 'heimdex_owner');
    assert.ok(Number(row.policies) >= 2, `${name} has policies`);
  }
});

it('lists each policy with its roles and expressions', () => {
  const policy = sections[1]!.rows.find((r) => r.table === 'jobs' && r.policy === 'insert_own_org');
  assert.ok(policy);
  assert.equal(policy.command, 'INSERT');
  // the owner's: members insert through app_private.create_job, security definer
  assert.match(String(policy.roles), /heimdex_owner/);
  assert.match(policy.check_expression, /current_org_id\(\)/);
});

it('lists column grants per role', () => {
  const grants = sections[2]!.rows;
  assert.ok(
    grants.some(
      (g) =>
        g.table === 'jobs' &&
        g.role === 'heimdex_worker' &&
        g.privilege === 'UPDATE' &&
        g.column === 'status',
    ),
  );
  assert.ok(
    !grants.some((g) => g.privilege === 'DELETE' && g.role !== 'heimdex_owner'),
    'no application role may delete',
  );
});

it('shows the roles and that the authenticator does not inherit', () => {
  const auth = sections[3]!.rows.find((r) => r.role === 'heimdex_authenticator');
  assert.equal(auth?.inherit, false);
  assert.equal(auth?.bypass_rls, false);
});

it('shows functions with their security and search_path', () => {
  const enqueue = sections[4]!.rows.find((r) => String(r.function).includes('tg_jobs__enqueue'));
  assert.equal(enqueue?.security, 'definer');
  assert.match(String(enqueue?.settings), /search_path=pg_catalog/);
});

it('lists the append-only triggers, against update and truncate, and that they fire', () => {
  const triggers = sections[5]!.rows;
  for (const table of ['job_events', 'audit_events']) {
    for (const trigger of ['_100_append_only', '_100_refuse_truncate']) {
      const row = triggers.find((t) => t.table === table && t.trigger === trigger);
      assert.ok(row, `${table}.${trigger}`);
      assert.equal(row.fires, 'enabled');
    }
  }
});
