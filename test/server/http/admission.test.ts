/**
 * Admission by cost in the API (runtime/admission/costAdmission.ts through
 * server/http/requestAdmission.ts), over real HTTP on a real database: an
 * org whose share of running cost is taken waits, and another org's light
 * request is answered meanwhile; a request costlier than the share runs
 * alone rather than waiting forever; a request whose turn does not come in
 * time gets 503 with Retry-After and runs no statement; and no turn leaks,
 * whether requests fail, are refused, roll back, or their clients leave
 * while waiting or while running.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { codes, graphql } from '../../support/graphql.js';
import { countStatements, type StatementCounter } from '../../support/statementCounter.js';
import { adminQuery } from '../../support/adminSql.js';
import { waitFor } from '../../support/waitFor.js';

const PER_ORG = 500;
/** How long the test keeps org A's share taken while A's request waits. */
const HELD_MS = 150;
const LIGHT = '{ jobs(first: 10) { nodes { id } } }';
/** 100 x (1 + 20) = 2,100 nodes: over the share of 500, under MAX_QUERY_NODES. */
const HEAVY = '{ jobs(first: 100) { nodes { id events(first: 20) { nodes { nextStatus } } } } }';

let db: TestDatabase;
let api: TestApi;
let statements: StatementCounter;
let secret: string;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, {
    env: {
      ADMISSION_MAX_NODES: '2000',
      ADMISSION_MAX_NODES_PER_ORG: String(PER_ORG),
      DB_CONNECTION_TIMEOUT_MS: '3000',
      RATE_LIMIT: 'off',
    },
  });
  statements = countStatements(api.api.pool);
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  secret = api.config.auth.secret;
});
after(async () => {
  await api?.stop();
  await db?.drop();
});

/** A request sent with fetch, so that the client can go away (abort) while it is served. */
function send(token: string, query: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
    signal,
  });
}

const usage = (org: string) => api.api.admission.usage().get(org);

describe('admission by cost', () => {
  it("lets an org's request wait while its share is taken, and answers another org's at once", async () => {
    const [orgA, orgB] = [randomUUID(), randomUUID()];
    const a = await tokenFor(secret, orgA, 'viewer', 'ann');
    const b = await tokenFor(secret, orgB, 'viewer', 'bob');
    const share = await api.api.admission.admit(orgA, PER_ORG);
    try {
      const waiting = send(a, LIGHT);
      await waitFor('the request of org A waiting', async () => usage(orgA)?.waiting === 1);
      const other = await graphql(api.http(), b, LIGHT);
      assert.equal(other.status, 200, JSON.stringify(other.body));
      assert.deepEqual(usage(orgA), { running: PER_ORG, waiting: 1 }, 'A still waits');
      await setTimeout(HELD_MS);
      share();
      const answered = await waiting;
      assert.equal(answered.status, 200);
      await answered.text();
      // Each request's log line says how long it waited for its turn (written once the answer is).
      const lineOf = (requestId: string | null | undefined) =>
        api.logs.entries().find((e) => e['requestId'] === requestId && e['path'] === '/graphql');
      const aId = answered.headers.get('x-request-id');
      await waitFor("A's request line", async () => lineOf(aId) !== undefined);
      const aWaited = lineOf(aId)?.['admissionMs'] as number;
      const bWaited = lineOf(other.headers['x-request-id'])?.['admissionMs'] as number;
      assert.ok(aWaited >= HELD_MS - 10, `A waited ${aWaited} ms`);
      assert.ok(bWaited < aWaited, `B waited ${bWaited} ms, A ${aWaited} ms`);
    } finally {
      share();
    }
    assert.deepEqual([...api.api.admission.usage()], []);
  });

  it("runs a request costlier than its org's share alone, instead of waiting forever", async () => {
    const org = randomUUID();
    const token = await tokenFor(secret, org, 'viewer', 'cat');
    assert.equal((await graphql(api.http(), token, HEAVY)).status, 200);
    // Beside one light request of the same org it waits for that one, then runs.
    const light = await api.api.admission.admit(org, 1);
    const heavy = send(token, HEAVY);
    await waitFor('the heavy request waiting', async () => usage(org)?.waiting === 1);
    light();
    assert.equal((await heavy).status, 200);
    assert.deepEqual([...api.api.admission.usage()], []);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After when the turn does not come in time, and runs no statement', async () => {
    const org = randomUUID();
    const token = await tokenFor(secret, org, 'viewer', 'dan');
    const share = await api.api.admission.admit(org, PER_ORG);
    try {
      const before = statements.count;
      const refused = await graphql(api.http(), token, LIGHT);
      assert.equal(refused.status, 503, JSON.stringify(refused.body));
      assert.equal(refused.headers['retry-after'], '5');
      assert.deepEqual(codes(refused.body), ['SERVICE_UNAVAILABLE']);
      assert.equal(statements.count, before, 'a request that never had its turn ran nothing');
      assert.deepEqual(usage(org), { running: PER_ORG, waiting: 0 });
    } finally {
      share();
    }
    assert.equal((await graphql(api.http(), token, LIGHT)).status, 200);
  });

  it('gives every turn back after successful, failed, refused and rolled-back requests, many at once', async () => {
    const orgs = Array.from({ length: 3 }, () => randomUUID());
    const members = await Promise.all(orgs.map((org) => tokenFor(secret, org, 'member', 'm')));
    const viewers = await Promise.all(orgs.map((org) => tokenFor(secret, org, 'viewer', 'v')));
    const kinds = [
      // A write the viewer's role may not do (rolled back), a write, a bad cursor, a heavy read,
      // one over MAX_QUERY_NODES (refused before its turn), a syntax error.
      [viewers, 'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }'],
      [members, 'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }'],
      [members, '{ jobs(after: "bad") { totalCount } }'],
      [members, HEAVY],
      [members, '{ jobs(first: 100) { nodes { events(first: 100) { nodes { id } } } } }'],
      [members, '{ jobs {'],
    ] as const;
    const statuses = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const [tokens, query] = kinds[i % kinds.length]!;
        return (await graphql(api.http(), tokens[i % orgs.length]!, query)).status;
      }),
    );
    assert.ok(!statuses.includes(503) && !statuses.includes(500), String(statuses));
    assert.ok(statuses.includes(400) && statuses.includes(403), String(statuses));
    assert.deepEqual([...api.api.admission.usage()], []);
  });

  it('gives the turn back when the client leaves while waiting for it', async () => {
    const org = randomUUID();
    const token = await tokenFor(secret, org, 'viewer', 'eve');
    const share = await api.api.admission.admit(org, PER_ORG);
    try {
      const client = new AbortController();
      const leaving = send(token, LIGHT, client.signal).catch((err: unknown) => err);
      await waitFor('the request waiting', async () => usage(org)?.waiting === 1);
      client.abort();
      await leaving;
      // Long before the 3 s timeout: it left the queue when its connection closed.
      await waitFor('the queue empty', async () => usage(org)?.waiting === 0, {
        timeoutMs: 2_000,
      });
    } finally {
      share();
    }
    assert.deepEqual([...api.api.admission.usage()], []);
  });

  it('gives the turn back when the client leaves while its request runs', async () => {
    const org = randomUUID();
    const token = await tokenFor(secret, org, 'viewer', 'fay');
    const locker = new pg.Client({ connectionString: db.urls.admin });
    await locker.connect();
    try {
      // Reads of jobs wait on this lock: the request is admitted and blocked in SQL.
      await locker.query('begin; lock table app_public.jobs in access exclusive mode');
      const client = new AbortController();
      const leaving = send(token, LIGHT, client.signal).catch((err: unknown) => err);
      await waitFor('the request blocked on the lock', async () => {
        const [row] = await adminQuery<{ n: string }>(
          db,
          `select count(*) as n from pg_stat_activity
           where datname = current_database() and usename = 'heimdex_authenticator'
             and wait_event_type = 'Lock'`,
        );
        return Number(row!.n) === 1;
      });
      assert.deepEqual(usage(org), { running: 10, waiting: 0 });
      client.abort();
      await leaving;
      await locker.query('rollback');
      await waitFor('the turn given back', async () => usage(org) === undefined);
    } finally {
      await locker.end();
    }
  });
});
