/**
 * The read side (PostGraphile) through the API: public names, Relay
 * pagination capped at 100, ordering, conditions, a job's events, the audit
 * log for admins only, nothing internal exposed, and operations that need
 * both engines.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parse, type GraphQLObjectType } from 'graphql';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { startTestApi, type TestApi } from '../support/testApi.js';
import { tokenFor } from '../support/tokens.js';
import { codes, graphql } from '../support/graphql.js';
import { adminQuery } from '../support/adminSql.js';
import { loadConfig } from '../../runtime/config.js';
import { localEnv } from '../support/localEnv.js';
import { buildGatewaySchema, type GatewaySchema } from '../../schema/buildGatewaySchema.js';

const ORG = randomUUID();
const SEEDED = 105;
let db: TestDatabase;
let api: TestApi;
let member: string;
let admin: string;
let newestFirst: string[];

interface Page {
  totalCount: number;
  nodes: Array<{ id: string }>;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string;
    endCursor: string;
  };
}

async function jobs(args: string, token = member): Promise<Page> {
  const { body } = await graphql(
    api.http(),
    token,
    `{ jobs${args} { totalCount nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
  );
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data!['jobs'] as Page;
}

before(async () => {
  db = await createTestDatabase();
  const rows = await adminQuery<{ id: string }>(
    db,
    `insert into app_public.jobs (org_id, type, requested_by, created_at)
     select $1, 'mock_process', 'seed', now() - make_interval(secs => g)
     from generate_series(1, ${SEEDED}) g
     returning id`,
    [ORG],
  );
  const ordered = await adminQuery<{ id: string }>(
    db,
    'select id from app_public.jobs where org_id = $1 order by created_at desc, id desc',
    [ORG],
  );
  assert.equal(rows.length, SEEDED);
  newestFirst = ordered.map((row) => row.id);
  await adminQuery(db, "update app_public.jobs set status = 'canceled' where id = $1", [
    newestFirst[0],
  ]);
  api = await startTestApi(db);
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  member = await tokenFor(api.config.auth.secret, ORG, 'member');
  admin = await tokenFor(api.config.auth.secret, ORG, 'admin');
});
after(async () => {
  await api.stop();
  await db.drop();
});

describe('jobs', () => {
  it('returns at most 100 without first or last, with the full count', async () => {
    const page = await jobs('');
    assert.equal(page.nodes.length, 100);
    assert.equal(page.totalCount, SEEDED);
    assert.equal(page.pageInfo.hasNextPage, true);
  });

  for (const args of ['(first: 101)', '(last: 101)', '(first: -1)']) {
    it(`refuses jobs${args} with BAD_USER_INPUT`, async () => {
      const { body } = await graphql(api.http(), member, `{ jobs${args} { totalCount } }`);
      assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
      assert.match(body.errors![0]!.message, /between 0 and 100/);
    });
  }

  it('has no offset argument: cursors page', async () => {
    const { status, body } = await graphql(
      api.http(),
      member,
      '{ jobs(offset: 5) { totalCount } }',
    );
    assert.equal(status, 400);
    assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
  });

  it('pages forwards and backwards with cursors, newest first', async () => {
    const first = await jobs('(first: 10, orderBy: CREATED_AT_DESC)');
    assert.deepEqual(
      first.nodes.map((n) => n.id),
      newestFirst.slice(0, 10),
    );
    const second = await jobs(
      `(first: 10, after: "${first.pageInfo.endCursor}", orderBy: CREATED_AT_DESC)`,
    );
    assert.deepEqual(
      second.nodes.map((n) => n.id),
      newestFirst.slice(10, 20),
    );
    const back = await jobs(
      `(last: 5, before: "${second.pageInfo.startCursor}", orderBy: CREATED_AT_DESC)`,
    );
    assert.deepEqual(
      back.nodes.map((n) => n.id),
      newestFirst.slice(5, 10),
    );
    const oldest = await jobs('(last: 3, orderBy: CREATED_AT_DESC)');
    assert.deepEqual(
      oldest.nodes.map((n) => n.id),
      newestFirst.slice(-3),
    );
  });

  it('filters by status and type', async () => {
    assert.equal((await jobs('(condition: { status: CANCELED })')).totalCount, 1);
    assert.equal(
      (await jobs('(condition: { status: QUEUED, type: MOCK_PROCESS })')).totalCount,
      SEEDED - 1,
    );
  });

  it('gives job(id) by UUID, with its events as a connection', async () => {
    const id = newestFirst[0]!;
    const { body } = await graphql(
      api.http(),
      member,
      'query($id: UUID!) { job(id: $id) { id status events(first: 5) { totalCount nodes { nextStatus job { id } } } } }',
      { id },
    );
    assert.deepEqual(body.data, {
      job: { id, status: 'CANCELED', events: { totalCount: 0, nodes: [] } },
    });
  });
});

describe('audit log', () => {
  it('is readable by admins', async () => {
    const { body } = await graphql(api.http(), admin, '{ auditEvents(first: 1) { totalCount } }');
    assert.deepEqual(body, { data: { auditEvents: { totalCount: 0 } } });
  });

  it('is refused to members with FORBIDDEN, leaving the rest of the answer', async () => {
    const { status, body } = await graphql(
      api.http(),
      member,
      '{ viewer { role } auditEvents { totalCount } }',
    );
    assert.equal(status, 200);
    assert.deepEqual(body.data, { viewer: { role: 'MEMBER' }, auditEvents: null });
    assert.deepEqual(codes(body), ['FORBIDDEN']);
  });
});

describe('the public schema', () => {
  let gateway: GatewaySchema;
  let pool: pg.Pool;
  before(async () => {
    pool = new pg.Pool({ connectionString: db.urls.api, max: 1 });
    gateway = await buildGatewaySchema(pool, loadConfig(localEnv()).jobs);
  });
  after(() => pool.end());

  it('exposes only the intended root fields, and no Relay node ids', () => {
    const { publicSchema } = gateway;
    assert.deepEqual(Object.keys(publicSchema.getQueryType()!.getFields()).sort(), [
      'auditEvents',
      'job',
      'jobs',
      'viewer',
    ]);
    assert.deepEqual(Object.keys(publicSchema.getMutationType()!.getFields()).sort(), [
      'cancelJob',
      'createJob',
      'retryJob',
    ]);
    assert.equal(publicSchema.getType('Node'), undefined);
    const job = publicSchema.getType('Job') as GraphQLObjectType;
    assert.equal(String(job.getFields()['id']!.type), 'UUID!');
    assert.equal(job.getFields()['rowId'], undefined);
    assert.equal(job.getFields()['nodeId'], undefined);
    assert.equal(String(publicSchema.getQueryType()!.getFields()['jobs']!.type), 'JobsConnection!');
  });

  it('does not expose the claim helpers or anything of app_private', () => {
    const names = Object.values(gateway.publicSchema.getTypeMap()).flatMap((type) =>
      'getFields' in type ? [type.name, ...Object.keys(type.getFields())] : [type.name],
    );
    for (const hidden of [/current/i, /claim/i, /private/i, /tg_/i]) {
      assert.deepEqual(
        names.filter((name) => hidden.test(name)),
        [],
        String(hidden),
      );
    }
  });

  it('routes each operation to the engine that can answer it alone', () => {
    const route = (query: string) => gateway.router.route(parse(query));
    assert.equal(route('{ jobs { totalCount } }'), 'postgraphile');
    assert.equal(
      route('query($id: UUID!) { job(id: $id) { events { totalCount } } }'),
      'postgraphile',
    );
    assert.equal(route('{ viewer { role } }'), 'typeGraphql');
    assert.equal(
      route('mutation { createJob(input: { type: MOCK_PROCESS }) { job { id status } } }'),
      'typeGraphql',
    );
    assert.equal(route('{ viewer { role } jobs { totalCount } }'), 'composed');
    assert.equal(
      route(
        'mutation { createJob(input: { type: MOCK_PROCESS }) { job { events { totalCount } } } }',
      ),
      'composed',
    );
    assert.equal(route('{ __schema { queryType { name } } }'), 'composed');
  });
});

describe('operations that need both engines', () => {
  it('reads the viewer and the jobs in one request', async () => {
    const { body } = await graphql(
      api.http(),
      member,
      '{ viewer { orgId } jobs(first: 1) { totalCount } }',
    );
    assert.deepEqual(body, { data: { viewer: { orgId: ORG }, jobs: { totalCount: SEEDED } } });
  });

  it("returns a new job's events from the same transaction", async () => {
    const { body } = await graphql(
      api.http(),
      member,
      'mutation { createJob(input: { type: MOCK_PROCESS }) { created job { orgId status events { totalCount nodes { prevStatus nextStatus } } } } }',
    );
    assert.deepEqual(body, {
      data: {
        createJob: {
          created: true,
          job: {
            orgId: ORG,
            status: 'QUEUED',
            events: { totalCount: 1, nodes: [{ prevStatus: null, nextStatus: 'QUEUED' }] },
          },
        },
      },
    });
  });

  it('describes the public schema to introspection in local mode', async () => {
    const { body } = await graphql(
      api.http(),
      member,
      '{ __schema { mutationType { fields { name } } } }',
    );
    const fields = (body.data!['__schema'] as { mutationType: { fields: Array<{ name: string }> } })
      .mutationType.fields;
    assert.deepEqual(fields.map((f) => f.name).sort(), ['cancelJob', 'createJob', 'retryJob']);
  });
});
