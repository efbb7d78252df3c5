/**
 * What clients see when things go wrong, through the API with a pool of one
 * connection: stable codes and statuses, generic messages with an error id
 * for internal failures (the cause only in the log), no SQL, constraint,
 * table or host names, and a connection that carries nothing into the next
 * request.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { startTestApi, type TestApi } from '../support/testApi.js';
import { tokenFor } from '../support/tokens.js';
import { codes, graphql } from '../support/graphql.js';
import { adminQuery } from '../support/adminSql.js';

const ORG = randomUUID();
const SECRET_HOST = 'db-primary.internal.heimdex:5432';
let db: TestDatabase;
let api: TestApi;
let member: string;

/** Words that must never reach a client. */
const LEAKS = [
  SECRET_HOST,
  'app_public',
  'app_private',
  'heimdex_',
  'permission denied',
  'jobs_test_',
  'audit_events',
  'select ',
  'insert ',
];

function assertNoLeak(body: unknown): void {
  const text = JSON.stringify(body).toLowerCase();
  for (const leak of LEAKS)
    assert.ok(!text.includes(leak.toLowerCase()), `response leaks "${leak}": ${text}`);
}

const create = (priority: number) =>
  graphql(
    api.http(),
    member,
    'mutation($p: Int) { createJob(input: { type: MOCK_PROCESS, priority: $p }) { job { id } } }',
    {
      p: priority,
    },
  );

before(async () => {
  db = await createTestDatabase();
  // Failures a bug or an outage could cause, on demand: priority 42 fails
  // with internal detail, 41 breaks a constraint, 40 outlives the timeout.
  await adminQuery(
    db,
    `create function app_private.tg_test_failures() returns trigger language plpgsql volatile
       set search_path = pg_catalog as $$
     begin
       if new.priority = 42 then
         raise exception 'could not reach ${SECRET_HOST} while writing app_public.jobs' using errcode = 'XX000';
       elsif new.priority = 40 then
         perform pg_sleep(2);
       end if;
       return new;
     end $$;
     create trigger _050_test_failures before insert on app_public.jobs
       for each row execute function app_private.tg_test_failures();
     alter table app_public.jobs add constraint jobs_test_secret_check check (priority <> 41);`,
  );
  api = await startTestApi(db, {
    env: { DB_POOL_MAX: '1', DB_STATEMENT_TIMEOUT_MS: '300', DB_CONNECTION_TIMEOUT_MS: '300' },
  });
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  member = await tokenFor(api.config.auth.secret, ORG, 'member', 'mia');
});
after(async () => {
  await api.stop();
  await db.drop();
});

describe('masked errors', () => {
  it('an internal failure: 500, a generic message and an error id; the cause only in the log', async () => {
    const { status, body } = await create(42);
    assert.equal(status, 500);
    assert.deepEqual(codes(body), ['INTERNAL_SERVER_ERROR']);
    const errorId = body.errors![0]!.extensions!['errorId'] as string;
    assert.match(errorId, /^[0-9a-f-]{36}$/);
    assert.equal(body.errors![0]!.message, `Internal server error. (error id ${errorId})`);
    assertNoLeak(body);
    const logged = api.logs.entries().find((entry) => entry['errorId'] === errorId);
    assert.ok(logged, 'the error id is in the log');
    assert.ok(JSON.stringify(logged).includes(SECRET_HOST), 'the cause is in the log');
  });

  it('a broken constraint: BAD_USER_INPUT without the constraint name', async () => {
    const { status, body } = await create(41);
    assert.equal(status, 200);
    assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
    assert.equal(body.errors![0]!.message, 'The input is not valid.');
    assertNoLeak(body);
  });

  it('a statement that outlives statement_timeout: 503 SERVICE_UNAVAILABLE with Retry-After', async () => {
    const { status, body, headers } = await create(40);
    assert.equal(status, 503);
    assert.equal(headers['retry-after'], '5');
    assert.deepEqual(codes(body), ['SERVICE_UNAVAILABLE']);
    assertNoLeak(body);
  });

  it('a privilege the role lacks: FORBIDDEN, without the table or the role', async () => {
    const { body } = await graphql(api.http(), member, '{ auditEvents { totalCount } }');
    assert.deepEqual(codes(body), ['FORBIDDEN']);
    assertNoLeak(body);
  });

  it('no error carries a stack trace or internal extensions', async () => {
    const { body } = await create(42);
    assert.deepEqual(Object.keys(body.errors![0]!.extensions!).sort(), ['code', 'errorId']);
  });
});

describe('the pool of one connection', () => {
  it('carries no claims and the base role after requests that succeeded or failed', async () => {
    assert.equal((await create(1)).status, 200);
    assert.equal((await create(42)).status, 500);
    const client = await api.api.pool.connect();
    try {
      const { rows } = await client.query(`select current_user as "user",
        current_setting('jwt.claims.org_id', true) as org, current_setting('jwt.claims.sub', true) as sub,
        current_setting('application_name') as app, current_setting('transaction_read_only') as ro`);
      assert.deepEqual(rows, [
        { user: 'heimdex_authenticator', org: '', sub: '', app: 'heimdex-api', ro: 'off' },
      ]);
    } finally {
      client.release();
    }
    assert.equal(api.api.pool.totalCount, 1);
  });

  it('answers 503 instead of hanging when the pool is exhausted', async () => {
    const holder = await api.api.pool.connect();
    try {
      const { status, body } = await graphql(api.http(), member, '{ jobs { totalCount } }');
      assert.equal(status, 503);
      assert.deepEqual(codes(body), ['SERVICE_UNAVAILABLE']);
    } finally {
      holder.release();
    }
    assert.equal((await graphql(api.http(), member, '{ jobs { totalCount } }')).status, 200);
  });
});
