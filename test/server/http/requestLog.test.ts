/**
 * One log line per GraphQL request: operation name and type, cost (nodes),
 * duration, outcome code, org and the time spent in the transaction; over
 * SLOW_REQUEST_MS the same line at warn as `slow request`, with the
 * operation name and never the variables (not even a GET's query string).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { codes, graphql, type GraphqlBody } from '../../support/graphql.js';

const ORG = 'c0000000-0000-4000-8000-000000000215';
const SECRET_VALUE = 'f00dface-0000-4000-8000-00000000beef';

const FIND = 'query Find($id: UUID!) { job(id: $id) { id } }';

let db: TestDatabase;
let api: TestApi;
let token: string;

before(async () => {
  db = await createTestDatabase();
  // Never slow here, however loaded the machine: the warn line is tested with 0 below.
  api = await startTestApi(db, { env: { SLOW_REQUEST_MS: '600000' } });
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  token = await tokenFor(api.config.auth.secret, ORG, 'member');
});
after(async () => {
  await api.stop();
  await db.drop();
});

/** The one line of the request that answered with this x-request-id. */
function lineOf(target: TestApi, requestId: string): Record<string, unknown> {
  const lines = target.logs
    .entries()
    .filter((entry) => entry['requestId'] === requestId && entry['path'] === '/graphql');
  assert.equal(lines.length, 1, JSON.stringify(lines));
  return lines[0]!;
}

describe('the request line', () => {
  it('names the operation, its type and cost, the outcome, the org and the time in the transaction', async () => {
    const { status, headers } = await graphql(
      api.http(),
      token,
      'query Listed { jobs(first: 7) { nodes { id } } }',
    );
    assert.equal(status, 200);
    const line = lineOf(api, headers['x-request-id']!);
    assert.equal(line['msg'], 'request');
    assert.equal(line['level'], 'info');
    assert.equal(line['operationName'], 'Listed');
    assert.equal(line['operationType'], 'query');
    assert.equal(line['nodes'], 7);
    assert.equal(line['outcome'], 'OK');
    assert.equal(line['orgId'], ORG);
    assert.equal(line['status'], 200);
    assert.equal(typeof line['durationMs'], 'number');
    assert.equal(typeof line['dbMs'], 'number');
    assert.ok((line['dbMs'] as number) <= (line['durationMs'] as number));
  });

  it('a mutation', async () => {
    const { headers } = await graphql(
      api.http(),
      token,
      'mutation Create { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
    );
    const line = lineOf(api, headers['x-request-id']!);
    assert.equal(line['operationName'], 'Create');
    assert.equal(line['operationType'], 'mutation');
    assert.equal(line['outcome'], 'OK');
    assert.equal(typeof line['dbMs'], 'number');
  });

  it('a refused token: UNAUTHENTICATED, no org, no transaction', async () => {
    const { status, headers } = await graphql(api.http(), 'not-a-token', '{ viewer { orgId } }');
    assert.equal(status, 401);
    const line = lineOf(api, headers['x-request-id']!);
    assert.equal(line['outcome'], 'UNAUTHENTICATED');
    assert.equal(line['orgId'], undefined);
    assert.equal(line['dbMs'], undefined);
  });

  it('an invalid document: its error code, and no transaction', async () => {
    const { headers, body } = await graphql(api.http(), token, '{ nope }');
    const line = lineOf(api, headers['x-request-id']!);
    assert.equal(line['outcome'], body.errors?.[0]?.extensions?.['code']);
    assert.notEqual(line['outcome'], 'OK');
    assert.equal(line['dbMs'], undefined);
  });
});

describe('an operationName the document does not have', () => {
  it('is BAD_USER_INPUT (400), not an internal error', async () => {
    for (const operationName of ['Nope', undefined]) {
      const response = await api
        .http()
        .post('/graphql')
        .set('content-type', 'application/json')
        .set('authorization', `Bearer ${token}`)
        .send({ query: 'query A { viewer { orgId } } query B { viewer { role } }', operationName });
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.deepEqual(codes(response.body as GraphqlBody), ['BAD_USER_INPUT']);
      assert.equal(lineOf(api, response.headers['x-request-id']!)['outcome'], 'BAD_USER_INPUT');
    }
  });
});

describe('over SLOW_REQUEST_MS', () => {
  it('the same one line at warn, with the operation name and no variables', async () => {
    const slow = await startTestApi(db, { env: { SLOW_REQUEST_MS: '0' } });
    try {
      const post = await graphql(slow.http(), token, FIND, { id: SECRET_VALUE });
      assert.equal(post.status, 200, JSON.stringify(post.body));
      const get = await slow
        .http()
        .get(
          `/graphql?query=${encodeURIComponent(FIND)}&variables=${encodeURIComponent(JSON.stringify({ id: SECRET_VALUE }))}`,
        )
        .set('authorization', `Bearer ${token}`)
        .set('apollo-require-preflight', 'true');
      assert.equal(get.status, 200, JSON.stringify(get.body));
      for (const requestId of [post.headers['x-request-id']!, get.headers['x-request-id']!]) {
        const line = lineOf(slow, requestId);
        assert.equal(line['msg'], 'slow request');
        assert.equal(line['level'], 'warn');
        assert.equal(line['operationName'], 'Find');
        assert.equal(line['path'], '/graphql');
      }
      assert.ok(!slow.logs.text.includes(SECRET_VALUE), 'no variable value in any log line');
    } finally {
      await slow.stop();
    }
  });

  it('refuses a SLOW_REQUEST_MS that is not a whole number', async () => {
    await assert.rejects(
      startTestApi(db, { env: { SLOW_REQUEST_MS: '-1' } }),
      /SLOW_REQUEST_MS: must be a whole number/,
    );
  });
});
