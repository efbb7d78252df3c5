/**
 * Every scalar, enum and cursor of the public schema, written wrong inline
 * and as a variable: always BAD_USER_INPUT with a message that says what was
 * wrong, never INTERNAL_SERVER_ERROR, never a log line above info, nothing
 * written. A result without data (a failure before any field ran) goes
 * through the same error map as every other error.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { startTestApi, type TestApi } from '../support/testApi.js';
import { tokenFor } from '../support/tokens.js';
import { codes, graphql } from '../support/graphql.js';
import { adminQuery } from '../support/adminSql.js';
import { maskErrors } from '../../server/http/maskErrors.js';
import { createLogger } from '../../runtime/logger.js';
import { LogCapture } from '../support/logCapture.js';

const ORG = randomUUID();
let db: TestDatabase;
let api: TestApi;
let member: string;
let admin: string;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  member = await tokenFor(api.config.auth.secret, ORG, 'member');
  admin = await tokenFor(api.config.auth.secret, ORG, 'admin');
});
after(async () => {
  await api.stop();
  await db.drop();
});

const NOT_BASE64 = 'not a cursor!';
const NOT_JSON = Buffer.from('{{{').toString('base64');
const NOT_AN_ARRAY = Buffer.from('{"a":1}').toString('base64');
const jobCount = async () =>
  Number((await adminQuery<{ n: string }>(db, 'select count(*) n from app_public.jobs'))[0]!.n);

interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  token?: () => string;
  /** What the message must say. */
  says: RegExp;
}

const CASES: Case[] = [
  { name: 'UUID inline (query)', query: '{ job(id: "not-a-uuid") { id } }', says: /UUID/ },
  { name: 'UUID inline, not a string', query: '{ job(id: 5) { id } }', says: /UUID|string/ },
  {
    name: 'UUID as a variable (query)',
    query: 'query($id: UUID!) { job(id: $id) { id } }',
    variables: { id: 'not-a-uuid' },
    says: /UUID/,
  },
  {
    name: 'UUID inline (mutation)',
    query: 'mutation { retryJob(id: "nope") { id } }',
    says: /UUID/,
  },
  {
    name: 'UUID as a variable (mutation)',
    query: 'mutation($id: UUID!) { cancelJob(id: $id) { id } }',
    variables: { id: 'nope' },
    says: /UUID/,
  },
  {
    name: 'Cursor inline, not base64',
    query: `{ jobs(after: "${NOT_BASE64}") { totalCount } }`,
    says: /cursor/i,
  },
  {
    name: 'Cursor inline, not JSON',
    query: `{ jobs(before: "${NOT_JSON}") { totalCount } }`,
    says: /cursor/i,
  },
  {
    name: 'Cursor inline, not an array',
    query: `{ jobs(after: "${NOT_AN_ARRAY}") { totalCount } }`,
    says: /cursor/i,
  },
  {
    name: 'Cursor as a variable',
    query: 'query($c: Cursor) { jobs(after: $c) { totalCount } }',
    variables: { c: NOT_JSON },
    says: /cursor/i,
  },
  {
    name: 'Cursor as a variable, not a string',
    query: 'query($c: Cursor) { jobs(after: $c) { totalCount } }',
    variables: { c: { a: 1 } },
    says: /cursor/i,
  },
  {
    name: 'Cursor of a nested connection',
    query: `{ job(id: "${randomUUID()}") { events(after: "${NOT_BASE64}") { totalCount } } }`,
    says: /cursor/i,
  },
  {
    name: 'Cursor of the audit log',
    query: `{ auditEvents(after: "${NOT_JSON}") { totalCount } }`,
    token: () => admin,
    says: /cursor/i,
  },
  {
    name: 'Datetime where a UUID goes',
    query: 'query($d: Datetime) { job(id: $d) { id } }',
    variables: { d: '2026-01-01T00:00:00Z' },
    says: /Datetime/,
  },
  {
    name: 'JSON where a UUID goes',
    query: 'query($j: JSON) { job(id: $j) { id } }',
    variables: { j: {} },
    says: /JSON/,
  },
  {
    name: 'enum inline',
    query: '{ jobs(condition: { status: NOPE }) { totalCount } }',
    says: /JobStatus/,
  },
  {
    name: 'enum as a variable',
    query: 'query($s: JobStatus) { jobs(condition: { status: $s }) { totalCount } }',
    variables: { s: 'NOPE' },
    says: /JobStatus/,
  },
  {
    name: 'enum inline (mutation input)',
    query:
      'mutation { createJob(input: { type: MOCK_PROCESS, failAtStage: NOPE }) { job { id } } }',
    says: /JobStage/,
  },
  {
    name: 'enum as a variable (mutation input)',
    query: 'mutation($t: JobType!) { createJob(input: { type: $t }) { job { id } } }',
    variables: { t: 'x' },
    says: /JobType/,
  },
  {
    name: 'Int overflow inline',
    query:
      'mutation { createJob(input: { type: MOCK_PROCESS, priority: 99999999999 }) { job { id } } }',
    says: /32-bit/,
  },
  {
    name: 'Int overflow as a variable',
    query: 'query($f: Int) { jobs(first: $f) { totalCount } }',
    variables: { f: 99999999999 },
    says: /32-bit/,
  },
];

describe('a value of the wrong shape is BAD_USER_INPUT, never a 500', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const jobsBefore = await jobCount();
      const logged = api.logs.lines.length;
      const { status, body } = await graphql(
        api.http(),
        (c.token ?? (() => member))(),
        c.query,
        c.variables,
      );
      assert.ok(codes(body).length > 0, JSON.stringify(body));
      assert.ok(
        codes(body).every((code) => code === 'BAD_USER_INPUT'),
        `codes: ${JSON.stringify(body)}`,
      );
      assert.match(body.errors![0]!.message, c.says);
      assert.ok(status === 400 || status === 200, `status ${status}`);
      if (c.variables) assert.equal(status, 400, 'a bad variable refuses the request');
      const loud = api.logs
        .entries()
        .slice(logged)
        .filter((e) => ['warn', 'error', 'fatal'].includes(String(e['level'])));
      assert.deepEqual(loud, [], 'logged at info at most');
      assert.equal(await jobCount(), jobsBefore, 'nothing written');
    });
  }
});

describe('cursors', () => {
  it('a cursor of another ordering: BAD_USER_INPUT, logged at info at most', async () => {
    await graphql(
      api.http(),
      member,
      'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
    );
    await graphql(
      api.http(),
      member,
      'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
    );
    const first = await graphql(
      api.http(),
      member,
      '{ jobs(first: 1, orderBy: CREATED_AT_DESC) { pageInfo { endCursor } } }',
    );
    const cursor = (first.body.data?.['jobs'] as { pageInfo: { endCursor: string } }).pageInfo
      .endCursor;
    const logged = api.logs.lines.length;
    const { body } = await graphql(
      api.http(),
      member,
      'query($c: Cursor) { jobs(after: $c, orderBy: PRIMARY_KEY_ASC) { totalCount } }',
      { c: cursor },
    );
    assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
    assert.match(body.errors![0]!.message, /cursor/i);
    const loud = api.logs
      .entries()
      .slice(logged)
      .filter((e) => ['warn', 'error'].includes(String(e['level'])));
    assert.deepEqual(loud, []);
    // The same cursor with its own ordering pages on.
    const next = await graphql(
      api.http(),
      member,
      'query($c: Cursor) { jobs(after: $c, orderBy: CREATED_AT_DESC) { nodes { id } } }',
      { c: cursor },
    );
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal((next.body.data?.['jobs'] as { nodes: unknown[] }).nodes.length, 1);
  });
});

describe('a result without data goes through the one error map', () => {
  it('an internal failure before any field ran is masked, with an error id, and logged', () => {
    const logs = new LogCapture();
    const logger = createLogger(
      { env: 'prod', version: 'test', logLevel: 'debug', service: 'test' },
      logs,
    );
    const planning = new GraphQLError('Unexpected plan for select * from app_private.secrets', {
      originalError: new TypeError('Cannot read properties of undefined (reading "codec")'),
    });
    const bare = new GraphQLError('internal: relation app_private.secrets has no column x');
    const masked = maskErrors({ errors: [planning, bare] }, logger);
    assert.equal(masked.data, undefined);
    for (const error of masked.errors!) {
      assert.equal(error.extensions['code'], 'INTERNAL_SERVER_ERROR');
      assert.doesNotMatch(error.message, /app_private|codec|relation/);
      assert.match(error.message, /error id/);
    }
    assert.equal(logs.entries('request failed').length, 2);
    assert.ok(logs.entries('request failed').every((e) => e['level'] === 'error'));
  });
});
