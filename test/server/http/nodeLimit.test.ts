/**
 * The node limit over HTTP: the ordinary list with its events runs; the
 * same shapes over the limit (omitted page sizes, variables, fragments,
 * aliases, persisted operations) are refused with 400 BAD_USER_INPUT and
 * `extensions.cost` before any statement reaches the database; a request at
 * exactly the limit runs; the request's log line carries its node count.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { codes, graphql } from '../../support/graphql.js';
import { countStatements, type StatementCounter } from '../../support/statementCounter.js';
import { adminQuery } from '../../support/adminSql.js';

const LIMIT = 10_000;
const OVER_BY_FRAGMENT = `query Heavy { jobs(first: 100) { nodes { ...Events } } }
fragment Events on Job { events(first: 100) { nodes { id } } }`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let db: TestDatabase;
let api: TestApi;
let statements: StatementCounter;
let token: string;
let manifestDir: string;
const ORG = randomUUID();

before(async () => {
  db = await createTestDatabase();
  manifestDir = await mkdtemp(path.join(tmpdir(), 'heimdex-manifest-'));
  const manifest = path.join(manifestDir, 'persisted-documents.json');
  await writeFile(
    manifest,
    JSON.stringify({ [`sha256:${sha256(OVER_BY_FRAGMENT)}`]: OVER_BY_FRAGMENT }),
  );
  api = await startTestApi(db, { env: { PERSISTED_OPERATIONS_FILE: manifest } });
  statements = countStatements(api.api.pool);
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  token = await tokenFor(api.config.auth.secret, ORG, 'viewer', 'vera');
});
after(async () => {
  await api?.stop();
  await db?.drop();
  await rm(manifestDir, { recursive: true, force: true });
});

async function accepted(query: string, variables?: Record<string, unknown>): Promise<void> {
  const before = statements.count;
  const { status, body } = await graphql(api.http(), token, query, variables);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.errors, undefined);
  assert.ok(statements.count > before, 'an accepted read runs SQL');
}

async function refused(
  query: string,
  nodes: number,
  variables?: Record<string, unknown>,
): Promise<void> {
  const before = statements.count;
  const { status, body } = await graphql(api.http(), token, query, variables);
  assert.equal(status, 400, JSON.stringify(body));
  assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
  const [error] = body.errors!;
  assert.equal(
    error!.message.split('.')[0],
    `This query could return ${nodes.toLocaleString('en-US')} nodes; the limit is 10,000`,
  );
  assert.deepEqual(error!.extensions?.['cost'], { nodes, limit: LIMIT });
  assert.equal(body.data, undefined);
  assert.equal(statements.count, before, 'no statement may run for a refused request');
}

describe('node limit', () => {
  it('runs the ordinary list of jobs with their events (2,100 nodes)', () =>
    accepted('{ jobs(first: 100) { nodes { id events(first: 20) { nodes { nextStatus } } } } }'));

  it('runs a request of exactly the limit, and refuses one node more', async () => {
    await accepted('{ jobs(first: 100) { nodes { events(first: 99) { nodes { id } } } } }');
    await refused('{ jobs(first: 100) { nodes { events(first: 100) { nodes { id } } } } }', 10_100);
    await refused(
      '{ jobs(first: 100) { nodes { id } } more: jobs(first: 100) { nodes { events(first: 99) { nodes { id } } } } }',
      10_100,
    );
  });

  it('refuses page sizes left out (default pages multiply)', () =>
    refused(
      '{ jobs { nodes { events { nodes { job { events { nodes { id ts detail } } } } } } } }',
      100 * (1 + 20 * (1 + 1 + 20)),
    ));

  it('refuses page sizes from variables, and from variable defaults', async () => {
    const query =
      'query Page($n: Int, $m: Int = 100) { jobs(first: $n) { nodes { events(first: $m) { nodes { id } } } } }';
    await refused(query, 10_100, { n: 100 });
    await refused(query, 10_100, {});
    await accepted(query, { n: 100, m: 99 });
  });

  it('refuses through fragments and inline fragments', async () => {
    await refused(OVER_BY_FRAGMENT, 10_100);
    await refused(
      '{ jobs(first: 100) { nodes { ... on Job { events(first: 100) { nodes { id } } } } } }',
      10_100,
    );
  });

  it('refuses through aliases, and applies @skip with its variable', async () => {
    const query = `query Both($skip: Boolean!) { jobs(first: 100) { nodes {
      a: events(first: 50) { nodes { id } }
      b: events(first: 51) @skip(if: $skip) { nodes { id } } } } }`;
    await refused(query, 100 * (1 + 50 + 51), { skip: false });
    await accepted(query, { skip: true });
  });

  it('refuses a persisted operation sent by its hash', async () => {
    const before = statements.count;
    const response = await api
      .http()
      .post('/graphql')
      .set('content-type', 'application/json')
      .set('authorization', `Bearer ${token}`)
      .send({
        extensions: { persistedQuery: { version: 1, sha256Hash: sha256(OVER_BY_FRAGMENT) } },
      });
    assert.equal(response.status, 400, response.text);
    const body = response.body as { errors: Array<{ extensions: Record<string, unknown> }> };
    assert.deepEqual(body.errors[0]!.extensions['cost'], { nodes: 10_100, limit: LIMIT });
    assert.equal(statements.count, before);
  });

  it('gives a connection below the root without first or last a page of 20', async () => {
    const [job] = await adminQuery<{ id: string }>(
      db,
      "insert into app_public.jobs (org_id, type, requested_by) values ($1, 'mock_process', 'seed') returning id",
      [ORG],
    );
    await adminQuery(
      db,
      `insert into app_public.job_events (job_id, org_id, next_status)
       select $1, $2, 'queued' from generate_series(1, 25)`,
      [job!.id, ORG],
    );
    const { body } = await graphql(
      api.http(),
      token,
      'query ($id: UUID!) { job(id: $id) { events { totalCount nodes { id } } all: events(first: 100) { nodes { id } } } }',
      { id: job!.id },
    );
    const { events, all } = body.data!['job'] as Record<
      string,
      { totalCount: number; nodes: unknown[] }
    >;
    assert.ok(events!.totalCount > 20, `seeded ${events!.totalCount} events`);
    assert.equal(events!.nodes.length, 20);
    assert.equal(all!.nodes.length, events!.totalCount);
  });

  it('puts the node count on the request log line', async () => {
    await accepted('query Listed { jobs(first: 7) { nodes { id } } }');
    const line = api.logs
      .entries('request')
      .findLast((entry) => entry['nodes'] !== undefined && entry['status'] === 200);
    assert.equal(line?.['nodes'], 7);
  });

  it('refuses MAX_QUERY_NODES below 1 at start-up', async () => {
    await assert.rejects(
      startTestApi(db, { env: { MAX_QUERY_NODES: '0' } }),
      /MAX_QUERY_NODES: must be a whole number, at least 1/,
    );
  });

  it('takes its limit from MAX_QUERY_NODES', async () => {
    const small = await startTestApi(db, { env: { MAX_QUERY_NODES: '50' } });
    try {
      const { status, body } = await graphql(
        small.http(),
        token,
        '{ jobs(first: 51) { nodes { id } } }',
      );
      assert.equal(status, 400);
      assert.deepEqual(body.errors![0]!.extensions?.['cost'], { nodes: 51, limit: 50 });
    } finally {
      await small.stop();
    }
  });
});
