/**
 * The per-request transaction on a pool of ONE connection, so every check
 * sees the connection the previous request used: settings arrive with
 * `begin`, reach pg_stat_activity, and are gone after the request, whether
 * it committed or failed; claims cannot inject SQL; reads are read-only;
 * statement_timeout holds; a failure aborts the rest of the request; a
 * broken connection is discarded and a full pool answers, not hangs.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { adminQuery } from '../../support/adminSql.js';
import { RequestTransaction } from '../../../server/db/requestTransaction.js';
import type { RequestClaims } from '../../../server/auth/claims.js';
import { classifyError } from '../../../schema/errors/classifyError.js';
import { DatabaseUnavailableError, HeimdexError } from '../../../runtime/errors/HeimdexError.js';
import { FairPool } from '../../../runtime/db/fairPool.js';

const ORG = randomUUID();
let db: TestDatabase;
let pool: pg.Pool;
/** What the API takes request connections from, over `pool`. */
let requests: FairPool;

const member: RequestClaims = { sub: 'mia', orgId: ORG, role: 'member' };

function transaction(
  claims = member,
  statementTimeoutMs = 5_000,
  requestId = randomUUID(),
  preparedStatements = true,
) {
  return new RequestTransaction(requests, {
    claims,
    requestId,
    statementTimeoutMs,
    preparedStatements,
  });
}

const SESSION = `select current_user as "user",
  current_setting('jwt.claims.org_id', true) as org,
  current_setting('jwt.claims.sub', true) as sub,
  current_setting('jwt.claims.role', true) as role,
  current_setting('application_name') as app,
  current_setting('statement_timeout') as timeout,
  current_setting('transaction_read_only') as read_only,
  pg_backend_pid() as pid`;

/** The pool's one connection, outside any request. */
async function idleSession(): Promise<Record<string, unknown>> {
  const client = await pool.connect();
  try {
    return (await client.query(SESSION)).rows[0] as Record<string, unknown>;
  } finally {
    client.release();
  }
}

before(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({
    connectionString: db.urls.api,
    max: 1,
    connectionTimeoutMillis: 300,
    application_name: 'heimdex-api',
  });
  requests = new FairPool(pool, { max: 1, maxPerOrg: 1, connectionTimeoutMs: 300, fair: true });
});
afterEach(() => {
  assert.equal(pool.waitingCount, 0);
  assert.deepEqual([...requests.usage()], [], 'every connection went back');
});
after(async () => {
  await requests.end();
  await db.drop();
});

describe('settings', () => {
  it('sets role, claims, request id and timeout transaction-locally, read-only for queries', async () => {
    const requestId = randomUUID();
    const tx = transaction(member, 1_234, requestId);
    const { rows } = await tx.query({ text: SESSION });
    const activity = await adminQuery(
      db,
      'select application_name from pg_stat_activity where pid = $1',
      [rows[0]!['pid']],
    );
    await tx.finish(true);
    assert.deepEqual(
      { ...rows[0], pid: undefined },
      {
        user: 'heimdex_member',
        org: ORG,
        sub: 'mia',
        role: 'member',
        app: `heimdex-api ${requestId}`,
        timeout: '1234ms',
        read_only: 'on',
        pid: undefined,
      },
    );
    assert.deepEqual(activity, [{ application_name: `heimdex-api ${requestId}` }]);
  });

  it('leaves the connection as it found it, after a commit and after a failure', async () => {
    const clean = {
      user: 'heimdex_authenticator',
      org: '',
      sub: '',
      role: '',
      app: 'heimdex-api',
      timeout: '0',
      read_only: 'off',
    };
    const pid = (await idleSession())['pid'];
    const ok = transaction({ sub: 'ada', orgId: ORG, role: 'admin' });
    await ok.query({ text: 'select 1' });
    await ok.finish(true);
    assert.deepEqual(await idleSession(), { ...clean, pid });
    const failing = transaction();
    await assert.rejects(failing.query({ text: 'select * from app_public.audit_events' }));
    await failing.finish(false);
    assert.deepEqual(await idleSession(), { ...clean, pid });
  });

  it('stores a subject with quotes and backslashes verbatim, without running it', async () => {
    const sub = String.raw`x', true), set_config('role', 'heimdex_admin', true) --\'`;
    const tx = transaction({ sub, orgId: ORG, role: 'viewer' });
    const { rows } = await tx.query({ text: SESSION });
    await tx.finish(true);
    assert.equal(rows[0]!['sub'], sub);
    assert.equal(rows[0]!['user'], 'heimdex_viewer');
  });
});

describe('transactions', () => {
  it('refuses writes in a read-only request and allows them in a mutation', async () => {
    const write = `select (r.job).id from app_private.create_job('mock_process', null, null, null, null, 10, 3) as r`;
    const reading = transaction();
    await assert.rejects(reading.query({ text: write }), { code: '25006' });
    await reading.finish(false);
    const writing = transaction();
    writing.setReadOnly(false);
    const { rows } = await writing.query({ text: write });
    await writing.finish(true);
    assert.equal(
      (
        await adminQuery(db, 'select org_id from app_public.jobs where id = $1', [rows[0]!['id']])
      )[0]?.['org_id'],
      ORG,
    );
  });

  it('rolls back when asked', async () => {
    const tx = transaction();
    tx.setReadOnly(false);
    const { rows } = await tx.query({
      text: `select (r.job).id from app_private.create_job('mock_process', null, null, null, null, 10, 3) as r`,
    });
    await tx.finish(false);
    assert.deepEqual(
      await adminQuery(db, 'select 1 from app_public.jobs where id = $1', [rows[0]!['id']]),
      [],
    );
  });

  it('cancels a statement that outlives the timeout: SERVICE_UNAVAILABLE', async () => {
    const tx = transaction(member, 100);
    const error = await tx.query({ text: 'select pg_sleep(2)' }).catch((err: unknown) => err);
    await tx.finish(false);
    assert.equal((error as { code?: string }).code, '57014');
    assert.equal(classifyError(error), 'SERVICE_UNAVAILABLE');
  });

  it('refuses the rest of a request after a failure, with the same code, without asking Postgres', async () => {
    const tx = transaction();
    const first = await tx
      .query({ text: 'select * from app_public.audit_events' })
      .catch((e: unknown) => e);
    const second = await tx.query({ text: 'select 1' }).catch((e: unknown) => e);
    await tx.finish(false);
    assert.equal(classifyError(first), 'FORBIDDEN');
    assert.ok(second instanceof HeimdexError);
    assert.equal(second.code, 'FORBIDDEN');
  });
});

/** The statements prepared on the pool's one connection. */
async function preparedOnConnection(): Promise<string[]> {
  const client = await pool.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      'select name from pg_prepared_statements order by name',
    );
    return rows.map((row) => row.name);
  } finally {
    client.release();
  }
}

/** Counts the writes that reach the pool's one socket (corked messages leave as one). */
async function countSocketWrites(): Promise<{ count(): number; restore(): void }> {
  const client = await pool.connect();
  const stream = (client as unknown as { connection: { stream: Record<string, unknown> } })
    .connection.stream;
  client.release();
  let writes = 0;
  const originals = { _write: stream['_write'], _writev: stream['_writev'] };
  for (const key of ['_write', '_writev'] as const) {
    const original = originals[key] as (...args: unknown[]) => unknown;
    stream[key] = function (this: unknown, ...args: unknown[]) {
      writes += 1;
      return original.apply(this, args);
    };
  }
  return {
    count: () => writes,
    restore: () => Object.assign(stream, originals),
  };
}

describe('begin and settings with the first statement', () => {
  it('sends them with the first statement in one write, so a request is two round trips', async () => {
    const writes = await countSocketWrites();
    try {
      const tx = transaction();
      const { rows } = await tx.query({ text: SESSION });
      assert.equal(writes.count(), 1, 'begin, settings and statement in one write');
      await tx.query({ text: 'select 1' });
      await tx.finish(true);
      assert.equal(writes.count(), 3, 'then each statement and the commit');
      assert.equal(rows[0]!['user'], 'heimdex_member');
      assert.equal(rows[0]!['read_only'], 'on');
    } finally {
      writes.restore();
    }
  });

  it('sends them unnamed, still in one write, for a transaction-mode pooler', async () => {
    const before = await preparedOnConnection();
    const writes = await countSocketWrites();
    try {
      const tx = transaction(member, 5_000, randomUUID(), false);
      const { rows } = await tx.query({ text: SESSION, name: 'heimdex_test_unnamed' });
      const count = writes.count();
      await tx.finish(true);
      assert.equal(count, 1, 'begin, settings and statement in one write');
      assert.equal(rows[0]!['org'], ORG);
      assert.equal(rows[0]!['read_only'], 'on');
      assert.deepEqual(await preparedOnConnection(), before, 'nothing new prepared');
    } finally {
      writes.restore();
    }
  });

  it('never runs the statement when the settings fail, and discards the connection', async () => {
    const pid = (await idleSession())['pid'];
    // PostgreSQL refuses a NUL byte in text: the settings fail, not the statement.
    const tx = transaction({ sub: 'evil\u0000', orgId: ORG, role: 'member' });
    tx.setReadOnly(false);
    const marker = `never-${randomUUID()}`;
    const error = await tx
      .query({
        text: `select from app_private.create_job('mock_process', null, $1, null, null, 10, 3)`,
        values: [marker],
      })
      .catch((e: unknown) => e);
    await tx.finish(true);
    assert.equal((error as { code?: string }).code, '22021', String(error));
    assert.deepEqual(
      await adminQuery(db, 'select 1 from app_public.jobs where idempotency_key = $1', [marker]),
      [],
    );
    assert.equal(pool.totalCount, 0, 'the connection left the pool');
    assert.notEqual((await idleSession())['pid'], pid);
  });

  it('keeps prepared statements usable after a first statement fails to plan or to run', async () => {
    const pid = (await idleSession())['pid'];
    const divide = { name: 'test_divide', text: 'select 1 / $1::int as x' };
    const failing = transaction();
    await assert.rejects(failing.query({ ...divide, values: [0] }), { code: '22012' });
    await failing.finish(false);
    const broken = transaction();
    await assert.rejects(broken.query({ name: 'test_typo', text: 'selec 1' }), { code: '42601' });
    await broken.finish(false);
    const again = transaction();
    const { rows } = await again.query({ ...divide, values: [1] });
    const other = await again.query({ name: 'test_other', text: 'select 2 as y' });
    await again.finish(true);
    assert.deepEqual([rows[0], other.rows[0]], [{ x: 1 }, { y: 2 }]);
    assert.equal((await idleSession())['pid'], pid, 'the same connection throughout');
  });

  it('refuses one statement name for two texts, before writing anything', async () => {
    const first = transaction();
    await first.query({ name: 'test_same', text: 'select 1 as n' });
    await first.finish(true);
    const writes = await countSocketWrites();
    try {
      const second = transaction();
      const error = await second
        .query({ name: 'test_same', text: 'select 2 as n' })
        .catch((e: unknown) => e);
      assert.equal(writes.count(), 0, 'nothing reached the server');
      await second.finish(false);
      assert.match(
        String((error as Error).cause),
        /Prepared statements must be unique - 'test_same'/,
      );
    } finally {
      writes.restore();
    }
  });

  it('runs first statements issued together in order, all with the settings', async () => {
    const tx = transaction({ sub: 'ada', orgId: ORG, role: 'admin' });
    const results = await Promise.all([
      tx.query({ text: SESSION }),
      tx.query({ text: SESSION }),
      tx.query({ name: 'test_session', text: SESSION }),
    ]);
    await tx.finish(true);
    for (const { rows } of results) {
      assert.equal(rows[0]!['user'], 'heimdex_admin');
      assert.equal(rows[0]!['sub'], 'ada');
    }
  });
});

describe('connections', () => {
  it('discards a connection that broke, and the next request gets a fresh one', async () => {
    const tx = transaction();
    const { rows } = await tx.query({ text: 'select pg_backend_pid() as pid' });
    await adminQuery(db, 'select pg_terminate_backend($1)', [rows[0]!['pid']]);
    const error = await tx.query({ text: 'select 1' }).catch((e: unknown) => e);
    await tx.finish(false);
    // Lost socket or the server's own "terminating connection" error, depending on timing.
    assert.equal(classifyError(error), 'SERVICE_UNAVAILABLE', String(error));
    assert.equal(pool.totalCount, 0, 'the broken connection left the pool');
    const next = transaction();
    const again = await next.query({ text: 'select pg_backend_pid() as pid' });
    await next.finish(true);
    assert.notEqual(again.rows[0]!['pid'], rows[0]!['pid']);
  });

  it('answers SERVICE_UNAVAILABLE when the pool stays full past its timeout', async () => {
    const holder = await requests.acquire(randomUUID());
    try {
      const started = Date.now();
      const tx = transaction();
      const error = await tx.query({ text: 'select 1' }).catch((e: unknown) => e);
      await tx.finish(false);
      assert.ok(error instanceof DatabaseUnavailableError);
      assert.equal(classifyError(error), 'SERVICE_UNAVAILABLE');
      assert.ok(Date.now() - started < 3_000);
    } finally {
      holder.release();
    }
  });
});
