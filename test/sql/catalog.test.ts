/**
 * What a DBA would check in the catalog: every table locked down by forced
 * RLS, no application role with powers it should not have.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';

const APP_ROLES = [
  'heimdex_authenticator',
  'heimdex_viewer',
  'heimdex_member',
  'heimdex_admin',
  'heimdex_worker',
];
const REQUEST_ROLES = [
  'heimdex_authenticator',
  'heimdex_viewer',
  'heimdex_member',
  'heimdex_admin',
];
const APP_SCHEMAS = ['app_public', 'app_private'];

let db: TestDatabase;
let client: pg.Client;

before(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.urls.admin });
  await client.connect();
});
after(async () => {
  await client.end();
  await db.drop();
});

it('every table in app_public and app_private has RLS enabled and forced', async () => {
  const { rows } = await client.query(
    `select n.nspname || '.' || c.relname as name, c.relrowsecurity, c.relforcerowsecurity
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind in ('r', 'p')`,
    [APP_SCHEMAS],
  );
  assert.ok(rows.length >= 3, 'the tables exist');
  for (const row of rows) {
    assert.equal(row.relrowsecurity, true, `${row.name}: RLS enabled`);
    assert.equal(row.relforcerowsecurity, true, `${row.name}: RLS forced`);
  }
});

it('no application role is superuser, bypasses RLS, creates roles or databases', async () => {
  const { rows } = await client.query(
    `select rolname, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication
       from pg_roles where rolname = any($1)`,
    [APP_ROLES],
  );
  assert.equal(rows.length, APP_ROLES.length);
  for (const r of rows) {
    assert.deepEqual(
      [r.rolsuper, r.rolbypassrls, r.rolcreaterole, r.rolcreatedb, r.rolreplication],
      [false, false, false, false, false],
      r.rolname,
    );
  }
});

it('no application role owns a table, view, sequence, function or schema', async () => {
  const { rows } = await client.query(
    `select 'relation ' || c.oid::regclass::text as what, pg_get_userbyid(c.relowner) as owner
       from pg_class c where pg_get_userbyid(c.relowner) = any($1)
     union all
     select 'function ' || p.oid::regprocedure::text, pg_get_userbyid(p.proowner)
       from pg_proc p where pg_get_userbyid(p.proowner) = any($1)
     union all
     select 'schema ' || nspname, pg_get_userbyid(nspowner)
       from pg_namespace where pg_get_userbyid(nspowner) = any($1)`,
    [APP_ROLES],
  );
  assert.deepEqual(rows, []);
});

it('the tables belong to heimdex_owner', async () => {
  const { rows } = await client.query(
    `select distinct pg_get_userbyid(c.relowner) as owner
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind = 'r'`,
    [APP_SCHEMAS],
  );
  assert.deepEqual(rows, [{ owner: 'heimdex_owner' }]);
});

it('the authenticator is NOINHERIT and can log in; request roles cannot', async () => {
  const { rows } = await client.query(
    `select rolname, rolinherit, rolcanlogin from pg_roles where rolname = any($1) order by rolname`,
    [APP_ROLES],
  );
  const byName = Object.fromEntries(rows.map((r) => [r.rolname, r]));
  assert.equal(byName.heimdex_authenticator.rolinherit, false);
  assert.equal(byName.heimdex_authenticator.rolcanlogin, true);
  assert.equal(byName.heimdex_worker.rolcanlogin, true);
  for (const r of ['heimdex_viewer', 'heimdex_member', 'heimdex_admin']) {
    assert.equal(byName[r].rolcanlogin, false, r);
  }
});

it('the authenticator may become exactly the three request roles', async () => {
  const { rows } = await client.query(
    `select r.rolname from pg_auth_members m
       join pg_roles r on r.oid = m.roleid
       join pg_roles u on u.oid = m.member
      where u.rolname = 'heimdex_authenticator' order by 1`,
  );
  assert.deepEqual(
    rows.map((r) => r.rolname),
    ['heimdex_admin', 'heimdex_member', 'heimdex_viewer'],
  );
});

it('no request role may insert into job_events or audit_events, nor insert or update jobs, directly', async () => {
  const { rows } = await client.query(
    `select r.role, t.name, priv
       from unnest($1::text[]) as r(role)
       cross join unnest(array['app_public.jobs', 'app_public.job_events', 'app_public.audit_events']) as t(name)
       cross join unnest(array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as priv
      where has_table_privilege(r.role, t.name, priv)
         or (priv in ('INSERT', 'UPDATE') and has_any_column_privilege(r.role, t.name, priv))`,
    [REQUEST_ROLES],
  );
  assert.deepEqual(rows, []);
});

it('request roles write jobs only through the three security definer functions, which viewers cannot call', async () => {
  const { rows } = await client.query(
    `select p.oid::regprocedure::text as name, p.prosecdef as definer, p.proconfig as config,
            array(select r.role from unnest($1::text[]) as r(role)
                   where has_function_privilege(r.role, p.oid, 'execute') order by 1) as callers
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any($2)
        and exists (select from unnest($1::text[]) as r(role)
                     where has_function_privilege(r.role, p.oid, 'execute'))
        and p.prokind = 'f'
        and p.proname not in ('current_org_id', 'current_user_id', 'current_app_role')
      order by 1`,
    [['public', ...REQUEST_ROLES], APP_SCHEMAS],
  );
  assert.deepEqual(
    rows.map((r) => r.name),
    [
      'app_private.cancel_job(uuid)',
      'app_private.create_job(app_public.job_type,app_public.job_stage,text,integer,integer,integer,integer,text)',
      'app_private.retry_job(uuid,integer)',
    ],
  );
  for (const r of rows) {
    assert.equal(r.definer, true, r.name);
    assert.deepEqual(r.config, ['search_path=pg_catalog, pg_temp'], r.name);
    assert.deepEqual(r.callers, ['heimdex_admin', 'heimdex_member'], r.name);
  }
});

it('every function that sets search_path names pg_temp last', async () => {
  // Not naming it puts the session's temporary schema first for types and
  // relations, where any role with TEMP can plant a type and a cast to it.
  const { rows } = await client.query(
    `select p.oid::regprocedure::text as name, c.setting
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       cross join unnest(p.proconfig) as c(setting)
      where n.nspname = any($1) and c.setting like 'search_path=%'`,
    [APP_SCHEMAS],
  );
  assert.ok(rows.length >= 10, 'the functions exist');
  for (const r of rows) {
    assert.match(r.setting, /^search_path=pg_catalog, pg_temp$/, r.name);
  }
});

it('every SECURITY DEFINER function in our schemas pins search_path', async () => {
  const { rows } = await client.query(
    `select p.oid::regprocedure::text as name, p.proconfig
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where p.prosecdef and n.nspname = any($1)`,
    [APP_SCHEMAS],
  );
  assert.ok(rows.length >= 1, 'the queue trigger is security definer');
  for (const r of rows) {
    assert.ok(
      (r.proconfig ?? []).some((c: string) => c.startsWith('search_path=')),
      `${r.name} sets search_path`,
    );
  }
});

it('no function in our schemas is executable by PUBLIC', async () => {
  const { rows } = await client.query(
    `select p.oid::regprocedure::text as name
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = any($1) and has_function_privilege('public', p.oid, 'execute')`,
    [APP_SCHEMAS],
  );
  assert.deepEqual(rows, []);
});

it('insert and update grants name their columns; nobody may delete or truncate', async () => {
  const { rows } = await client.query(
    `select table_name, grantee, privilege_type from information_schema.role_table_grants
      where table_schema = any($1) and grantee = any($2)
        and privilege_type in ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')`,
    [APP_SCHEMAS, APP_ROLES],
  );
  assert.deepEqual(rows, [], 'no table-wide write grants');
});

it('every foreign key states its on delete action explicitly', async () => {
  const { rows } = await client.query(
    `select conname, confdeltype from pg_constraint c join pg_namespace n on n.oid = c.connamespace
      where c.contype = 'f' and n.nspname = any($1)`,
    [APP_SCHEMAS],
  );
  assert.ok(rows.length >= 1);
  // 'a' (no action) is the default when nothing is said; we always say something.
  for (const r of rows) assert.notEqual(r.confdeltype, 'a', r.conname);
});

describe('graphile_worker, the queue', () => {
  it('no function in graphile_worker is executable by PUBLIC or a request role', async () => {
    const { rows } = await client.query(
      `select p.oid::regprocedure::text as name, r.role
         from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         cross join unnest($1::text[]) as r(role)
        where n.nspname = 'graphile_worker'
          and has_function_privilege(r.role, p.oid, 'execute')`,
      [['public', ...REQUEST_ROLES]],
    );
    assert.deepEqual(rows, []);
    const { rows: all } = await client.query(
      `select count(*)::int as n from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'graphile_worker'
          and p.proname in ('add_job', 'remove_job', 'force_unlock_workers')`,
    );
    assert.equal(all[0].n, 3, 'the functions exist');
  });

  it('request roles have no privilege on any graphile_worker table', async () => {
    const { rows } = await client.query(
      `select c.relname, r.role, priv
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         cross join unnest($1::text[]) as r(role)
         cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as priv
        where n.nspname = 'graphile_worker' and c.relkind = 'r'
          and has_table_privilege(r.role, c.oid, priv)`,
      [REQUEST_ROLES],
    );
    assert.deepEqual(rows, []);
  });

  it('the worker reads graphile_worker.migrations but cannot write it', async () => {
    const { rows } = await client.query(
      `select priv, has_table_privilege('heimdex_worker', 'graphile_worker.migrations', priv) as has
         from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) as priv`,
    );
    assert.deepEqual(Object.fromEntries(rows.map((r) => [r.priv, r.has])), {
      SELECT: true,
      INSERT: false,
      UPDATE: false,
      DELETE: false,
      TRUNCATE: false,
    });
  });
});
