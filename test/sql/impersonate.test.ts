/** The DBA's impersonation script gives exactly one org's view, until rollback. */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { sqlDir } from '../../runtime/paths.js';

let db: TestDatabase;
const ORG_A = randomUUID();
const ORG_B = randomUUID();

before(async () => {
  db = await createTestDatabase();
  const c = new pg.Client({ connectionString: db.urls.admin });
  await c.connect();
  for (const org of [ORG_A, ORG_B]) {
    await c.query(
      `insert into app_public.jobs (org_id, type, requested_by) values ($1, 'mock_process', 'seed')`,
      [org],
    );
  }
  await c.end();
});
after(() => db.drop());

/** psql's :'name' interpolation, done with the client's own literal escaping. */
function interpolate(sql: string, client: pg.Client, vars: Record<string, string>): string {
  return sql.replace(/:'(\w+)'/g, (_, name: string) => client.escapeLiteral(vars[name]!));
}

it('shows one org as the chosen role, and nothing is left after rollback', async () => {
  const c = new pg.Client({ connectionString: db.urls.api });
  await c.connect();
  try {
    const script = await readFile(sqlDir('audit/impersonate.sql'), 'utf8');
    await c.query(interpolate(script, c, { org_id: ORG_A, app_role: 'viewer', sub: 'dba' }));
    const { rows } = await c.query('select current_user as role, org_id from app_public.jobs');
    assert.deepEqual(rows, [{ role: 'heimdex_viewer', org_id: ORG_A }]);
    await c.query('rollback');
    const after = await c.query(
      "select current_user as role, current_setting('jwt.claims.org_id', true) as org",
    );
    assert.deepEqual(after.rows[0], { role: 'heimdex_authenticator', org: '' });
  } finally {
    await c.end();
  }
});

it('refuses a role outside the three request roles', async () => {
  const c = new pg.Client({ connectionString: db.urls.api });
  await c.connect();
  try {
    const script = await readFile(sqlDir('audit/impersonate.sql'), 'utf8');
    await assert.rejects(
      c.query(interpolate(script, c, { org_id: ORG_A, app_role: 'owner', sub: 'dba' })),
      /permission denied to set role "heimdex_owner"/,
    );
  } finally {
    await c.end();
  }
});
