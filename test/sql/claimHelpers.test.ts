/**
 * The claim helpers every policy reads (rewritten inlinable in
 * 000012_inlinable_claim_helpers.sql): same results as before, and a caller's
 * search_path cannot change them.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

async function claims(
  setup: string,
  values: { org: string; sub: string; role: string },
): Promise<Record<string, unknown>> {
  const c = new pg.Client({ connectionString: db.urls.admin });
  await c.connect();
  try {
    await c.query('begin');
    await c.query(setup);
    await c.query(
      `select set_config('jwt.claims.org_id', $1, true), set_config('jwt.claims.sub', $2, true),
              set_config('jwt.claims.role', $3, true)`,
      [values.org, values.sub, values.role],
    );
    const { rows } = await c.query(
      `select app_public.current_org_id() as org, app_public.current_user_id() as sub,
              app_public.current_app_role() as role`,
    );
    return rows[0];
  } finally {
    await c.query('rollback');
    await c.end();
  }
}

it('keep their meaning: unset, empty or malformed claims are NULL', async () => {
  const org = randomUUID();
  assert.deepEqual(await claims('select', { org, sub: 'alice', role: 'member' }), {
    org,
    sub: 'alice',
    role: 'member',
  });
  assert.deepEqual(await claims('select', { org: '', sub: '', role: 'root' }), {
    org: null,
    sub: null,
    role: null,
  });
  assert.deepEqual(await claims('select', { org: 'not-a-uuid', sub: '', role: '' }), {
    org: null,
    sub: null,
    role: null,
  });
});

it("cannot be steered by functions or operators on the caller's search_path", async () => {
  const victim = randomUUID();
  const hijack = `
    create schema evil;
    create function evil.current_setting(text, boolean) returns text language sql
      as $$ select '${victim}' $$;
    create function evil.always(text, text) returns boolean language sql as $$ select true $$;
    create operator evil.~* (leftarg = text, rightarg = text, function = evil.always);
    create operator evil.= (leftarg = text, rightarg = text, function = evil.always);
    create operator evil.<> (leftarg = text, rightarg = text, function = evil.always);
    set local search_path = evil, pg_catalog, public;`;
  assert.deepEqual(await claims(hijack, { org: 'not-a-uuid', sub: '', role: 'superuser' }), {
    org: null,
    sub: null,
    role: null,
  });
});
