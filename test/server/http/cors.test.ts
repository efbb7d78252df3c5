/**
 * CORS on /graphql: pages from the allowed origins (local mode: any port of
 * localhost and 127.0.0.1) get their preflight (204) and the headers to read
 * the answer; any other origin, or none, gets no CORS header at all. GET
 * serves queries, never mutations. WebSockets use the same list unless
 * WS_ALLOWED_ORIGINS sets another.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { codes, type GraphqlBody } from '../../support/graphql.js';
import { GraphqlSocket } from '../../support/graphqlSocket.js';
import { adminQuery } from '../../support/adminSql.js';

const ORG = 'c0000000-0000-4000-8000-000000000015';
const VITE = 'http://localhost:5173';

let db: TestDatabase;
let api: TestApi;
let token: string;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  token = await tokenFor(api.config.auth.secret, ORG, 'admin');
});
after(async () => {
  await api.stop();
  await db.drop();
});

const corsHeaders = (headers: Record<string, string>): string[] =>
  Object.keys(headers).filter((name) => name.startsWith('access-control-'));

const preflight = (http: TestApi['http'], origin: string) =>
  http()
    .options('/graphql')
    .set('origin', origin)
    .set('access-control-request-method', 'POST')
    .set('access-control-request-headers', 'authorization, content-type');

const postFrom = (http: TestApi['http'], origin: string | undefined) => {
  const request = http()
    .post('/graphql')
    .set('content-type', 'application/json')
    .set('authorization', `Bearer ${token}`);
  if (origin) request.set('origin', origin);
  return request.send({ query: '{ viewer { orgId } }' });
};

describe('an allowed origin (local mode default)', () => {
  for (const origin of [VITE, 'http://127.0.0.1:3000', 'http://localhost']) {
    it(`answers the preflight from ${origin} with 204 and what the page may send`, async () => {
      const response = await preflight(api.http, origin);
      assert.equal(response.status, 204);
      assert.equal(response.headers['access-control-allow-origin'], origin);
      assert.equal(response.headers['access-control-allow-methods'], 'GET,POST');
      assert.deepEqual(response.headers['access-control-allow-headers']?.split(','), [
        'content-type',
        'authorization',
        'apollo-require-preflight',
        'x-apollo-operation-name',
        'heimdex-consistency',
      ]);
      assert.equal(response.headers['access-control-max-age'], '600');
      assert.equal(response.headers['access-control-allow-credentials'], undefined);
      assert.match(response.headers['vary'] ?? '', /origin/i);
    });
  }

  it('lets the page read the answer and its request id, budget and retry headers', async () => {
    const response = await postFrom(api.http, VITE);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { data: { viewer: { orgId: ORG } } });
    assert.equal(response.headers['access-control-allow-origin'], VITE);
    assert.equal(response.headers['access-control-allow-credentials'], undefined);
    const exposed = response.headers['access-control-expose-headers']?.split(',') ?? [];
    for (const name of [
      'x-request-id',
      'retry-after',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'heimdex-consistency',
    ]) {
      assert.ok(exposed.includes(name), `${name} exposed: ${exposed.join(',')}`);
    }
    assert.ok(response.headers['x-request-id']);
    assert.ok(response.headers['ratelimit-remaining']);
  });

  it('adds the headers to refusals too (a 401 the page can read)', async () => {
    const response = await api
      .http()
      .post('/graphql')
      .set('origin', VITE)
      .set('content-type', 'application/json')
      .send({ query: '{ viewer { orgId } }' });
    assert.equal(response.status, 401);
    assert.equal(response.headers['access-control-allow-origin'], VITE);
  });
});

describe('an origin not on the list', () => {
  const others = [
    'https://evil.example.com',
    'http://localhost.evil.example.com:5173',
    'http://127.0.0.1.nip.io:5173',
    'https://localhost:5173',
    'null',
  ];
  for (const origin of others) {
    it(`gets no CORS header from ${origin}, preflight or not`, async () => {
      const refused = await preflight(api.http, origin);
      assert.notEqual(refused.status, 204);
      assert.deepEqual(corsHeaders(refused.headers as Record<string, string>), []);
      const post = await postFrom(api.http, origin);
      assert.deepEqual(corsHeaders(post.headers as Record<string, string>), []);
    });
  }

  it('and a client without Origin (not a browser) gets none either, but its answer', async () => {
    const response = await postFrom(api.http, undefined);
    assert.equal(response.status, 200);
    assert.deepEqual(corsHeaders(response.headers as Record<string, string>), []);
  });

  it('CORS_ORIGINS replaces the default: only its exact origins', async () => {
    const custom = await startTestApi(db, {
      env: { CORS_ORIGINS: 'https://app.example.com, http://localhost:8080' },
    });
    try {
      const app = await preflight(custom.http, 'https://app.example.com');
      assert.equal(app.status, 204);
      assert.equal(app.headers['access-control-allow-origin'], 'https://app.example.com');
      assert.equal((await preflight(custom.http, 'http://localhost:8080')).status, 204);
      for (const origin of [VITE, 'https://app.example.com:8443', 'http://app.example.com']) {
        const response = await preflight(custom.http, origin);
        assert.deepEqual(corsHeaders(response.headers as Record<string, string>), [], origin);
      }
    } finally {
      await custom.stop();
    }
  });
});

describe('GET /graphql', () => {
  const get = (query: string, headers: Record<string, string> = {}) =>
    api
      .http()
      .get(`/graphql?query=${encodeURIComponent(query)}`)
      .set('authorization', `Bearer ${token}`)
      .set('apollo-require-preflight', 'true')
      .set(headers);

  it('runs a query', async () => {
    const response = await get('{ viewer { orgId } }', { origin: VITE });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { data: { viewer: { orgId: ORG } } });
    assert.equal(response.headers['access-control-allow-origin'], VITE);
  });

  it('never runs a mutation (405, nothing written)', async () => {
    const response = await get(
      'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
    );
    assert.equal(response.status, 405, JSON.stringify(response.body));
    assert.equal(response.headers['allow'], 'POST');
    assert.deepEqual(codes(response.body as GraphqlBody), ['BAD_USER_INPUT']);
    const jobs = await adminQuery(db, 'select count(*)::int as n from app_public.jobs');
    assert.deepEqual(jobs, [{ n: 0 }]);
  });

  it('is refused without a header a cross-site form cannot send (Apollo CSRF prevention)', async () => {
    const response = await api
      .http()
      .get(`/graphql?query=${encodeURIComponent('{ viewer { orgId } }')}`)
      .set('authorization', `Bearer ${token}`);
    assert.equal(response.status, 400);
  });

  it('other methods: 405 naming GET and POST', async () => {
    const response = await api.http().put('/graphql');
    assert.equal(response.status, 405);
    assert.equal(response.headers['allow'], 'GET, POST');
  });
});

describe('WebSockets follow CORS_ORIGINS unless WS_ALLOWED_ORIGINS is set', () => {
  it('opens from an allowed page origin, refuses another', async () => {
    const socket = await GraphqlSocket.open(api.url, { origin: VITE });
    await socket.close();
    await assert.rejects(
      GraphqlSocket.open(api.url, { origin: 'https://evil.example.com' }),
      /upgrade refused: 403/,
    );
  });
});
