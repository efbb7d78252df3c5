/**
 * Abuse limits, on by default: tokens, depth, aliases and directives per
 * document (the node count has its own tests: nodeLimit.test.ts), each
 * refusal naming its limit and never worded as a syntax error; no batching;
 * CSRF prevention; a body size limit; and, in production, no introspection
 * and no field suggestions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { codes, graphql } from '../../support/graphql.js';
import { DOCUMENT_LIMITS } from '../../../schema/limits/documentLimits.js';

const ORG = randomUUID();
let db: TestDatabase;
let local: TestApi;
let prod: TestApi;
let token: string;

before(async () => {
  db = await createTestDatabase();
  local = await startTestApi(db, { env: { HTTP_MAX_BODY_BYTES: '20000' } });
  prod = await startTestApi(db, { heimdexEnv: 'prod' });
  if (local.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  token = await tokenFor(local.config.auth.secret, ORG, 'member');
});
after(async () => {
  await local.stop();
  await prod.stop();
  await db.drop();
});

async function refused(query: string, limit: string, pattern: RegExp): Promise<void> {
  const { status, body } = await graphql(local.http(), token, query);
  assert.equal(status, 400, JSON.stringify(body));
  assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
  const [error] = body.errors!;
  assert.match(error!.message, pattern);
  assert.doesNotMatch(error!.message, /syntax/i);
  assert.equal((error!.extensions?.['limit'] as { name: string }).name, limit);
}

/** Nested connections with small pages: `depth` levels below a job, but few nodes. */
function nested(depth: number): string {
  const onJob = (d: number): string =>
    d === 0 ? 'id' : `events(first: 2) { nodes { ${onEvent(d - 1)} } }`;
  const onEvent = (d: number): string => (d === 0 ? 'id' : `job { ${onJob(d - 1)} }`);
  return `{ jobs(first: 5) { nodes { ${onJob(depth)} } } }`;
}

describe('document limits', () => {
  it('accepts a reasonable document', async () => {
    const { status, body } = await graphql(local.http(), token, nested(3));
    assert.equal(status, 200, JSON.stringify(body));
  });

  it('refuses too deep a document', () =>
    refused(
      nested(DOCUMENT_LIMITS.maxDepth),
      'depth',
      new RegExp(`nests fields \\d+ deep; the limit is ${DOCUMENT_LIMITS.maxDepth}`),
    ));

  it('refuses too many aliases', () =>
    refused(
      `{ ${Array.from({ length: DOCUMENT_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`,
      'aliases',
      new RegExp(
        `uses ${DOCUMENT_LIMITS.maxAliases + 1} aliases; the limit is ${DOCUMENT_LIMITS.maxAliases}`,
      ),
    ));

  it('counts aliases inside fragments', () =>
    refused(
      `{ ...V } fragment V on Query { ${Array.from({ length: DOCUMENT_LIMITS.maxAliases + 1 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`,
      'aliases',
      /aliases; the limit is/,
    ));

  it('refuses too many directives', () =>
    refused(
      `{ viewer { ${Array.from({ length: DOCUMENT_LIMITS.maxDirectives + 1 }, (_, i) => `r${i}: role @include(if: true)`).join(' ')} } }`,
      'directives',
      new RegExp(
        `uses ${DOCUMENT_LIMITS.maxDirectives + 1} directives; the limit is ${DOCUMENT_LIMITS.maxDirectives}`,
      ),
    ));

  it('refuses too many tokens', () =>
    refused(
      `{ viewer { ${'role '.repeat(DOCUMENT_LIMITS.maxTokens)} } }`,
      'tokens',
      /more than 2,000 tokens; the limit is 2,000/,
    ));

  it('still calls a real syntax error a syntax error', async () => {
    const { status, body } = await graphql(local.http(), token, '{ viewer { role }');
    assert.equal(status, 400);
    assert.match(body.errors![0]!.message, /^Syntax Error/);
  });
});

describe('HTTP', () => {
  it('refuses a document that does not parse with 400', async () => {
    const { status, body } = await graphql(local.http(), token, '{ viewer { role }');
    assert.equal(status, 400);
    assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
  });

  it('refuses batched requests', async () => {
    const response = await local
      .http()
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send([{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }]);
    assert.equal(response.status, 400);
  });

  it('refuses a simple cross-site request (CSRF prevention)', async () => {
    const response = await local
      .http()
      .post('/graphql')
      .set('content-type', 'text/plain')
      .set('authorization', `Bearer ${token}`)
      .send(JSON.stringify({ query: '{ viewer { role } }' }));
    assert.equal(response.status, 400);
    assert.match(JSON.stringify(response.body), /Cross-Site Request Forgery/);
  });

  it('refuses a body over the limit with 413', async () => {
    const response = await local
      .http()
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send({ query: `{ viewer { role } } # ${'x'.repeat(25_000)}` });
    assert.equal(response.status, 413);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await local
      .http()
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send('{"query": ');
    assert.equal(response.status, 400);
    assert.deepEqual(codes(response.body as never), ['BAD_USER_INPUT']);
  });

  it('speaks application/graphql-response+json when asked', async () => {
    const response = await local
      .http()
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('accept', 'application/graphql-response+json')
      .set('authorization', `Bearer ${token}`)
      .send({ query: '{ viewer { role } }' });
    assert.equal(response.status, 200);
    assert.match(
      response.headers['content-type'] as string,
      /^application\/graphql-response\+json/,
    );
    assert.deepEqual(JSON.parse(response.text), { data: { viewer: { role: 'MEMBER' } } });
  });
});

describe('production', () => {
  it('refuses introspection', async () => {
    const { status, body } = await graphql(
      prod.http(),
      token,
      '{ __schema { queryType { name } } }',
    );
    assert.equal(status, 400);
    assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
    const allowed = await graphql(local.http(), token, '{ __schema { queryType { name } } }');
    assert.equal(allowed.status, 200);
  });

  it('suggests no field names', async () => {
    const { body } = await graphql(prod.http(), token, '{ jobz { totalCount } }');
    assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
    assert.doesNotMatch(body.errors![0]!.message, /Did you mean|jobs/);
    const local_ = await graphql(local.http(), token, '{ jobz { totalCount } }');
    assert.match(local_.body.errors![0]!.message, /Did you mean/);
  });
});
