/**
 * The fair pool (runtime/db/fairPool.ts) on real connections, alone and as
 * the API's request pool over HTTP: waiting orgs are served in turn when
 * connections are scarce; one org holds at most its share, even while
 * connections are free; a caller that waits past the timeout gets 503 with
 * Retry-After; connections go back after errors and rollbacks and none leak
 * over many requests; and one org flooding the API leaves connections for
 * the others, where the plain FIFO pool (DB_POOL_FAIR=off) lets it take them all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { codes, graphql } from '../../support/graphql.js';
import { adminQuery } from '../../support/adminSql.js';
import { waitFor } from '../../support/waitFor.js';
import { settled } from '../../support/settled.js';
import {
  FairPool,
  PoolEndedError,
  PoolTimeoutError,
  type FairPoolOptions,
} from '../../../runtime/db/fairPool.js';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  await db.drop();
});

/** A FairPool over a pg.Pool of `max` connections as heimdex_authenticator. */
function fairPool(options: Partial<FairPoolOptions> & { max: number }): FairPool {
  const settings = { maxPerOrg: options.max, connectionTimeoutMs: 5_000, fair: true, ...options };
  const pool = new pg.Pool({
    connectionString: db.urls.api,
    max: settings.max,
    connectionTimeoutMillis: settings.connectionTimeoutMs,
  });
  return new FairPool(pool, settings);
}

const pid = async (client: pg.PoolClient): Promise<number> =>
  (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;

describe('FairPool', () => {
  it('serves waiting orgs in turn when connections are scarce, each org first come first served', async () => {
    const pool = fairPool({ max: 1 });
    try {
      const holder = await pool.acquire('x');
      const served: string[] = [];
      // Org a asks three times before b and c ask once: FIFO would serve a, a, a, b, c.
      const callers = ['a1', 'a2', 'a3', 'b1', 'c1'].map((caller) =>
        pool.acquire(caller[0]!).then(async (client) => {
          await pid(client);
          served.push(caller);
          client.release();
        }),
      );
      assert.deepEqual(pool.usage().get('a'), { held: 0, waiting: 3 });
      holder.release();
      await Promise.all(callers);
      assert.deepEqual(served, ['a1', 'b1', 'c1', 'a2', 'a3']);
      assert.deepEqual([...pool.usage()], []);
    } finally {
      await pool.end();
    }
  });

  it('lets one org hold at most its share, even while connections are free', async () => {
    const pool = fairPool({ max: 4, maxPerOrg: 2 });
    try {
      const a = [await pool.acquire('a'), await pool.acquire('a')];
      const third = pool.acquire('a');
      assert.equal(await settled(third), false, "a third connection waits for one of a's own");
      const b = await pool.acquire('b');
      assert.deepEqual(pool.usage().get('a'), { held: 2, waiting: 1 });
      assert.equal(pool.pool.totalCount, 3, 'the fourth connection was never opened for a');
      a[0]!.release();
      const again = await third;
      assert.deepEqual(pool.usage().get('a'), { held: 2, waiting: 0 });
      for (const client of [a[1]!, again, b]) client.release();
      assert.deepEqual([...pool.usage()], []);
    } finally {
      await pool.end();
    }
  });

  it('refuses a caller that waited past the timeout, and serves the next one', async () => {
    const pool = fairPool({ max: 1, connectionTimeoutMs: 200 });
    try {
      const holder = await pool.acquire('a');
      const error = await pool.acquire('b').catch((err: unknown) => err);
      assert.ok(error instanceof PoolTimeoutError, String(error));
      assert.deepEqual(pool.usage().get('b'), undefined, 'the timed-out caller left its queue');
      const next = pool.acquire('c');
      holder.release();
      (await next).release();
      assert.deepEqual([...pool.usage()], []);
    } finally {
      await pool.end();
    }
  });

  it('discards a connection released with an error and opens a fresh one for the next org', async () => {
    const pool = fairPool({ max: 1 });
    try {
      const first = await pool.acquire('a');
      const before = await pid(first);
      const next = pool.acquire('b');
      first.release(true);
      const fresh = await next;
      assert.notEqual(await pid(fresh), before);
      assert.equal(pool.pool.totalCount, 1);
      fresh.release();
      assert.throws(() => fresh.release(), /already been released|called twice/);
      assert.deepEqual([...pool.usage()], []);
    } finally {
      await pool.end();
    }
  });

  it('gives a released connection to the next org waiting: the same connection, not a new one', async () => {
    const pool = fairPool({ max: 1 });
    try {
      const first = await pool.acquire('a');
      const before = await pid(first);
      const next = pool.acquire('b');
      first.release();
      const handed = await next;
      assert.equal(await pid(handed), before);
      assert.equal(pool.pool.totalCount, 1, 'no second connection was opened');
      assert.equal(pool.pool.idleCount, 0);
      handed.release();
      assert.equal(pool.pool.idleCount, 1, 'back in pg.Pool once nobody waits');
    } finally {
      await pool.end();
    }
  });

  it('refuses whoever still waits when it ends, and every later caller', async () => {
    const pool = fairPool({ max: 1 });
    const held = await pool.acquire('a');
    const waiting = pool.acquire('b');
    const ending = pool.end();
    await assert.rejects(waiting, PoolEndedError);
    await assert.rejects(pool.acquire('c'), PoolEndedError);
    held.release();
    await ending;
  });
});

describe('the API on the fair pool', () => {
  const ORG_A = randomUUID();
  const ORG_B = randomUUID();
  let api: TestApi;
  let secret: string;

  before(async () => {
    api = await startTestApi(db, {
      env: { DB_POOL_MAX: '4', DB_POOL_MAX_PER_ORG: '2', DB_CONNECTION_TIMEOUT_MS: '3000' },
    });
    if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
    secret = api.config.auth.secret;
  });
  after(async () => {
    await api?.stop();
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After to an org past its share, and serves other orgs', async () => {
    const member = await tokenFor(secret, ORG_A, 'member', 'ann');
    const held = [
      await api.api.requestPool.acquire(ORG_A),
      await api.api.requestPool.acquire(ORG_A),
    ];
    try {
      const refused = await graphql(api.http(), member, '{ jobs { totalCount } }');
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.headers['retry-after'], '5');
      assert.deepEqual(codes(refused.body), ['SERVICE_UNAVAILABLE']);
      const other = await tokenFor(secret, ORG_B, 'member', 'bob');
      assert.equal((await graphql(api.http(), other, '{ jobs { totalCount } }')).status, 200);
    } finally {
      for (const client of held) client.release();
    }
    assert.equal((await graphql(api.http(), member, '{ jobs { totalCount } }')).status, 200);
  });

  it('gives every connection back after failed, rolled back and successful requests, many at once', async () => {
    const orgs = Array.from({ length: 4 }, () => randomUUID());
    const members = await Promise.all(orgs.map((org) => tokenFor(secret, org, 'member', 'm')));
    const viewers = await Promise.all(orgs.map((org) => tokenFor(secret, org, 'viewer', 'v')));
    const create = 'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }';
    const read = '{ jobs { totalCount } }';
    // A write the viewer's role may not do (rolled back), a write, a bad cursor, a read.
    const kinds = [
      [viewers, create],
      [members, create],
      [members, '{ jobs(after: "bad") { totalCount } }'],
      [members, read],
    ] as const;
    const request = async (i: number): Promise<unknown> => {
      const [tokens, query] = kinds[i % kinds.length]!;
      return codes(
        (await graphql(api.http(), tokens[Math.floor(i / kinds.length) % orgs.length]!, query))
          .body,
      )[0];
    };
    const statuses: unknown[] = [];
    // 160 requests, 20 at a time over 4 connections.
    for (let batch = 0; batch < 8; batch++) {
      statuses.push(
        ...(await Promise.all(Array.from({ length: 20 }, (_, i) => request(batch * 20 + i)))),
      );
    }
    assert.ok(statuses.includes('FORBIDDEN'), String(statuses));
    assert.ok(!statuses.includes('SERVICE_UNAVAILABLE'), String(statuses));
    assert.ok(!statuses.includes('INTERNAL_SERVER_ERROR'), String(statuses));
    assert.deepEqual([...api.api.requestPool.usage()], []);
    const { pool } = api.api;
    assert.equal(pool.waitingCount, 0);
    assert.equal(pool.idleCount, pool.totalCount, 'no connection is still out');
    assert.ok(pool.totalCount <= 4);
    const open = await adminQuery<{ state: string }>(
      db,
      `select state from pg_stat_activity
       where datname = current_database() and usename = 'heimdex_authenticator'
         and backend_type = 'client backend' and state <> 'idle'`,
    );
    assert.deepEqual(open, [], 'no backend is left in a transaction');
  });
});

/**
 * Org A floods the API with writes that block (the admin holds a SHARE lock on
 * jobs) while org B reads: each of A's requests holds its connection.
 */
const FLOOD = 24;

async function flood(env: Record<string, string>): Promise<{
  blocked: number;
  heldByA: number | undefined;
  b: { status: number; codes: unknown[] };
}> {
  const api = await startTestApi(db, {
    env: { DB_POOL_MAX: '4', DB_CONNECTION_TIMEOUT_MS: '3000', ...env },
  });
  const locker = new pg.Client({ connectionString: db.urls.admin });
  await locker.connect();
  try {
    if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
    const orgA = randomUUID();
    const a = await tokenFor(api.config.auth.secret, orgA, 'member', 'a');
    const b = await tokenFor(api.config.auth.secret, randomUUID(), 'member', 'b');
    await locker.query('begin; lock table app_public.jobs in share mode');
    const floodA = Array.from({ length: FLOOD }, () =>
      graphql(
        api.http(),
        a,
        'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
      ),
    );
    const blockedNow = async () =>
      Number(
        (
          await adminQuery<{ n: string }>(
            db,
            `select count(*) as n from pg_stat_activity
             where datname = current_database() and usename = 'heimdex_authenticator'
               and wait_event_type = 'Lock'`,
          )
        )[0]!.n,
      );
    // Every connection A got is stuck on the lock, and the rest of A's requests wait.
    const blocked = await waitFor('org A holding all it may', async () => {
      const n = await blockedNow();
      const out = api.api.pool.totalCount - api.api.pool.idleCount;
      const waiting =
        api.api.pool.waitingCount + (api.api.requestPool.usage().get(orgA)?.waiting ?? 0);
      return n === out && n + waiting === FLOOD && n;
    });
    const heldByA = api.api.requestPool.usage().get(orgA)?.held;
    const read = await graphql(api.http(), b, '{ jobs { totalCount } }');
    await locker.query('rollback');
    await Promise.all(floodA);
    return { blocked, heldByA, b: { status: read.status, codes: codes(read.body) } };
  } finally {
    await locker.end();
    await api.stop();
  }
}

describe('one org flooding the API', () => {
  it('holds half the pool by default, and another org still gets a connection', async () => {
    const { blocked, heldByA, b } = await flood({});
    assert.equal(blocked, 2, 'backends of org A waiting on the lock');
    assert.equal(heldByA, 2);
    assert.deepEqual(b, { status: 200, codes: [] });
  });

  it('with DB_POOL_FAIR=off (benchmarks only) takes every connection, and the other org times out', async () => {
    const { blocked, b } = await flood({ DB_POOL_FAIR: 'off' });
    assert.equal(blocked, 4);
    assert.deepEqual(b, { status: 503, codes: ['SERVICE_UNAVAILABLE'] });
  });
});
