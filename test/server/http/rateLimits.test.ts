/**
 * Cost-weighted rate budgets per org and per user: RateLimit-* on every
 * answer to an authenticated request; over budget 429 RATE_LIMITED with
 * Retry-After, no database work and a `rate_limited` log line; a user back
 * before its Retry-After is answered later; a refused request spends nothing; mutations cost 10 more per write; one org's flood
 * leaves another org's budget alone. Failed verifications are limited per
 * client address, so a flood of bad tokens stops costing signature checks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { codes, graphql } from '../../support/graphql.js';
import { countStatements, type StatementCounter } from '../../support/statementCounter.js';
import { loadConfig } from '../../../runtime/config.js';
import { MUTATION_POINTS } from '../../../server/http/rateLimits.js';

const USER_POINTS = 1_000;
const ORG_POINTS = 1_500;
const HUNDRED = '{ jobs(first: 100) { nodes { id } } }';
const EARLY_REFUSAL_DELAY_MS = 600;
const SLOW_REQUEST_MS = 500;

let db: TestDatabase;
let api: TestApi;
let statements: StatementCounter;
let secret: string;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, {
    env: {
      RATE_LIMIT_USER_POINTS: String(USER_POINTS),
      RATE_LIMIT_ORG_POINTS: String(ORG_POINTS),
      RATE_LIMIT_BAD_TOKENS: '3',
      RATE_LIMIT_EARLY_DELAY_MS: String(EARLY_REFUSAL_DELAY_MS),
      // Under the hold: a held refusal must still not be logged as slow.
      SLOW_REQUEST_MS: String(SLOW_REQUEST_MS),
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

function budget(headers: Record<string, string>) {
  return {
    limit: Number(headers['ratelimit-limit']),
    remaining: Number(headers['ratelimit-remaining']),
    reset: Number(headers['ratelimit-reset']),
  };
}

describe('rate budgets', () => {
  it('says the budget on every answer, and spends the nodes a request may return', async () => {
    const token = await tokenFor(secret, randomUUID(), 'viewer', 'ann');
    const first = await graphql(api.http(), token, HUNDRED);
    assert.equal(first.status, 200);
    assert.deepEqual(budget(first.headers), {
      limit: USER_POINTS,
      remaining: USER_POINTS - 100,
      reset: budget(first.headers).reset,
    });
    assert.ok(budget(first.headers).reset >= 1 && budget(first.headers).reset <= 60);
    // Refused before execution (node limit, syntax): still answered with the budget, 1 point each.
    const heavy = await graphql(
      api.http(),
      token,
      '{ jobs(first: 100) { nodes { events(first: 100) { nodes { id } } } } }',
    );
    assert.equal(heavy.status, 400);
    assert.equal(budget(heavy.headers).remaining, USER_POINTS - 101);
    const broken = await graphql(api.http(), token, '{ viewer {');
    assert.equal(broken.status, 400);
    assert.equal(budget(broken.headers).remaining, USER_POINTS - 102);
  });

  it('refuses a user over budget with 429, Retry-After and no SQL, spending nothing, and logs it', async () => {
    const org = randomUUID();
    const token = await tokenFor(secret, org, 'viewer', 'bob');
    for (let i = 0; i < 9; i++)
      assert.equal((await graphql(api.http(), token, HUNDRED)).status, 200);
    // 100 left: a request of 101 nodes is refused whole.
    const before = statements.count;
    const refused = await graphql(
      api.http(),
      token,
      '{ jobs(first: 100) { nodes { id } } viewer { role } }',
    );
    assert.equal(refused.status, 429, JSON.stringify(refused.body));
    assert.deepEqual(codes(refused.body), ['RATE_LIMITED']);
    assert.match(
      refused.body.errors![0]!.message,
      /This request costs 101 points\. Your budget is 1,000 points a minute.*100 left\. Retry after \d+ s\./,
    );
    assert.equal(refused.body.errors![0]!.extensions?.['points'], 101);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal(budget(refused.headers).remaining, 100);
    assert.equal(statements.count, before, 'no statement may run for a refused request');
    const line = api.logs.entries('rate_limited').findLast((entry) => entry['sub'] === 'bob');
    assert.equal(line?.['orgId'], org);
    assert.equal(line?.['bucket'], 'user');

    // Told to wait: until Retry-After, even what the budget allows is refused, before it is read.
    const early = await api
      .http()
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send('{"not json');
    assert.equal(early.status, 429);
    assert.equal(early.headers['ratelimit-remaining'], '100');
    assert.ok(Number(early.headers['retry-after']) >= 1);
    assert.match(
      (early.body as { errors: Array<{ message: string }> }).errors[0]!.message,
      /100 left, but a request of yours was refused until then\. Retry after \d+ s\./,
    );
    assert.equal(statements.count, before);
  });

  it('answers a user who asks again before its Retry-After only after RATE_LIMIT_EARLY_DELAY_MS, without reading the request', async () => {
    const org = randomUUID();
    const token = await tokenFor(secret, org, 'viewer', 'gus');
    for (let i = 0; i < 10; i++)
      assert.equal((await graphql(api.http(), token, HUNDRED)).status, 200);
    const refusals = () =>
      api.logs.entries('rate_limited').filter((entry) => entry['sub'] === 'gus');
    // Told to wait: the first refusal is at once.
    const first = await graphql(api.http(), token, HUNDRED);
    assert.equal(first.status, 429);
    assert.equal(refusals().at(-1)?.['early'], undefined);
    // Back before Retry-After: refused again, later, and before its body is parsed.
    const before = statements.count;
    const started = performance.now();
    const again = await api
      .http()
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send('{"not json');
    const waitedMs = performance.now() - started;
    assert.equal(again.status, 429);
    assert.ok(Number(again.headers['retry-after']) >= 1);
    assert.equal(refusals().at(-1)?.['early'], true);
    assert.ok(waitedMs >= EARLY_REFUSAL_DELAY_MS - 50, `answered after ${waitedMs} ms`);
    assert.equal(statements.count, before);
    // Its request line says how long it took and that we held it, at info: a
    // client looping on 429s must not fill the log with `slow request` warnings.
    const line = api.logs
      .entries()
      .find((e) => e['requestId'] === again.headers['x-request-id'] && e['path'] === '/graphql');
    assert.equal(line?.['msg'], 'request', JSON.stringify(line));
    assert.equal(line?.['level'], 'info');
    assert.equal(line?.['heldMs'], EARLY_REFUSAL_DELAY_MS);
    assert.ok(Number(line?.['durationMs']) >= EARLY_REFUSAL_DELAY_MS - 50);
  });

  it("refuses an org over its budget, whichever user asks, and leaves other orgs' budgets alone", async () => {
    const org = randomUUID();
    const carol = await tokenFor(secret, org, 'viewer', 'carol');
    const dave = await tokenFor(secret, org, 'viewer', 'dave');
    for (let i = 0; i < 10; i++)
      assert.equal((await graphql(api.http(), carol, HUNDRED)).status, 200);
    for (let i = 0; i < 5; i++)
      assert.equal((await graphql(api.http(), dave, HUNDRED)).status, 200);
    const refused = await graphql(api.http(), dave, HUNDRED);
    assert.equal(refused.status, 429);
    assert.equal(budget(refused.headers).limit, ORG_POINTS);
    assert.match(refused.body.errors![0]!.message, /Your org's budget is 1,500 points a minute/);
    const line = api.logs.entries('rate_limited').findLast((entry) => entry['sub'] === 'dave');
    assert.equal(line?.['bucket'], 'org');

    const other = await tokenFor(secret, randomUUID(), 'viewer', 'dave');
    const answered = await graphql(api.http(), other, HUNDRED);
    assert.equal(answered.status, 200);
    assert.equal(budget(answered.headers).remaining, USER_POINTS - 100);
  });

  it('charges a mutation 10 points per write on top of its nodes', async () => {
    const token = await tokenFor(secret, randomUUID(), 'member', 'erin');
    const { status, headers, body } = await graphql(
      api.http(),
      token,
      'mutation { a: createJob(input: { type: MOCK_PROCESS }) { job { id } } b: createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
    );
    assert.equal(status, 200, JSON.stringify(body));
    // Two payloads and two jobs: 4 nodes; two writes.
    assert.equal(budget(headers).remaining, USER_POINTS - 4 - 2 * MUTATION_POINTS);
  });

  it('gives no budget to a request without a valid token', async () => {
    const { status, headers } = await graphql(api.http(), 'not-a-token', HUNDRED);
    assert.equal(status, 401);
    assert.equal(headers['ratelimit-remaining'], undefined);
  });
});

describe('bad tokens per address', () => {
  it('stops verifying tokens from an address after its budget of failures, but lets cached tokens through', async () => {
    const isolated = await startTestApi(db, {
      env: { RATE_LIMIT_BAD_TOKENS: '3', TRUSTED_PROXY_HOPS: '1' },
    });
    try {
      const from = (address: string, token: string) =>
        isolated
          .http()
          .post('/graphql')
          .set('content-type', 'application/json')
          .set('x-forwarded-for', `6.6.6.6, ${address}`)
          .set('authorization', `Bearer ${token}`)
          .send({ query: '{ viewer { role } }' });
      const org = randomUUID();
      const known = await tokenFor(secret, org, 'viewer', 'known');
      assert.equal((await from('203.0.113.7', known)).status, 200);
      const forged = `${known.slice(0, -4)}AAAA`;
      for (let i = 0; i < 3; i++) assert.equal((await from('203.0.113.7', forged)).status, 401);
      const failures = isolated.logs.entries('auth_failed').length;

      const blocked = await from('203.0.113.7', forged);
      assert.equal(blocked.status, 429);
      assert.deepEqual(codes(blocked.body as never), ['RATE_LIMITED']);
      assert.ok(Number(blocked.headers['retry-after']) >= 1);
      assert.match(
        (blocked.body as { errors: Array<{ message: string }> }).errors[0]!.message,
        /invalid tokens from this address/,
      );
      // Not verified: no second auth_failed line, and a valid token never seen before waits too.
      assert.equal(isolated.logs.entries('auth_failed').length, failures);
      const fresh = await tokenFor(secret, org, 'viewer', 'fresh');
      assert.equal((await from('203.0.113.7', fresh)).status, 429);
      assert.equal((await from('203.0.113.7', known)).status, 200);
      // Another client, as the trusted proxy saw it, has its own budget; what the client wrote is ignored.
      assert.equal((await from('198.51.100.9', fresh)).status, 200);
      const line = isolated.logs.entries('rate_limited').at(-1);
      assert.equal(line?.['bucket'], 'bad_tokens');
      assert.equal(line?.['ip'], '203.0.113.7');
    } finally {
      await isolated.stop();
    }
  });
});

describe('configuration', () => {
  it('turns the budgets off with RATE_LIMIT=off, and refuses that outside local mode', async () => {
    const off = await startTestApi(db, { env: { RATE_LIMIT: 'off' } });
    try {
      const token = await tokenFor(secret, randomUUID(), 'viewer', 'fay');
      const { status, headers } = await graphql(off.http(), token, HUNDRED);
      assert.equal(status, 200);
      assert.equal(headers['ratelimit-limit'], undefined);
    } finally {
      await off.stop();
    }
    assert.throws(
      () =>
        loadConfig({
          HEIMDEX_ENV: 'prod',
          RATE_LIMIT: 'off',
          JWKS_URL: 'https://id.example.com/jwks.json',
          AUTH_ISSUER: 'https://id.example.com/',
          AUTH_AUDIENCE: 'heimdex',
        }),
      /RATE_LIMIT: "off" is for benchmarks only and refused when HEIMDEX_ENV=prod/,
    );
  });
});
