/**
 * Two tenants through the API: A creates, reads, lists, counts, cancels and
 * retries its jobs and can do none of that to B's. B's jobs are invisible to
 * A by id, in lists, in counts and in events, and touching one looks exactly
 * like touching a job that does not exist.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { startTestApi, type TestApi } from '../support/testApi.js';
import { tokenFor } from '../support/tokens.js';
import { codes, graphql } from '../support/graphql.js';
import { setJobStatus } from '../support/adminSql.js';

const ORG_A = randomUUID();
const ORG_B = randomUUID();
let db: TestDatabase;
let api: TestApi;
let a: string;
let b: string;
let adminA: string;
const jobsOf: Record<string, string[]> = { A: [], B: [] };

const CREATE = `mutation($key: String) {
  createJob(input: { type: MOCK_PROCESS, idempotencyKey: $key }) { created job { id orgId status } }
}`;

async function create(token: string, key?: string): Promise<{ id: string; orgId: string }> {
  const { body } = await graphql(api.http(), token, CREATE, { key });
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return (body.data!['createJob'] as { job: { id: string; orgId: string } }).job;
}

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  a = await tokenFor(api.config.auth.secret, ORG_A, 'member', 'alice');
  b = await tokenFor(api.config.auth.secret, ORG_B, 'member', 'bob');
  adminA = await tokenFor(api.config.auth.secret, ORG_A, 'admin', 'ada');
  for (let i = 0; i < 3; i++) jobsOf['A']!.push((await create(a)).id);
  for (let i = 0; i < 2; i++) jobsOf['B']!.push((await create(b)).id);
});
after(async () => {
  await api.stop();
  await db.drop();
});

describe('creating', () => {
  it("puts each job in its creator's org", async () => {
    assert.equal((await create(a)).orgId, ORG_A);
    assert.equal((await create(b)).orgId, ORG_B);
  });

  it('keeps idempotency keys per org: the same key in two orgs makes two jobs', async () => {
    const first = await create(a, 'shared-key');
    const second = await create(b, 'shared-key');
    assert.notEqual(first.id, second.id);
    assert.equal(second.orgId, ORG_B);
  });
});

describe('reading', () => {
  it("returns null for another org's job by id, as for a missing one", async () => {
    const theirs = await graphql(
      api.http(),
      a,
      'query($id: UUID!) { job(id: $id) { id events { totalCount } } }',
      {
        id: jobsOf['B']![0],
      },
    );
    const missing = await graphql(
      api.http(),
      a,
      'query($id: UUID!) { job(id: $id) { id events { totalCount } } }',
      {
        id: randomUUID(),
      },
    );
    assert.deepEqual(theirs.body, { data: { job: null } });
    assert.deepEqual(missing.body, theirs.body);
  });

  it('lists and counts only its own org', async () => {
    const list = async (token: string) => {
      const { body } = await graphql(
        api.http(),
        token,
        '{ jobs(first: 100) { totalCount nodes { id orgId } } }',
      );
      return body.data!['jobs'] as {
        totalCount: number;
        nodes: Array<{ id: string; orgId: string }>;
      };
    };
    const [mine, theirs] = [await list(a), await list(b)];
    assert.ok(mine.nodes.every((job) => job.orgId === ORG_A));
    assert.ok(theirs.nodes.every((job) => job.orgId === ORG_B));
    assert.equal(mine.totalCount, mine.nodes.length);
    assert.ok(jobsOf['A']!.every((id) => mine.nodes.some((job) => job.id === id)));
    assert.ok(!mine.nodes.some((job) => jobsOf['B']!.includes(job.id)));
    const queued = await graphql(
      api.http(),
      a,
      '{ jobs(condition: { status: QUEUED }) { totalCount } }',
    );
    assert.equal((queued.body.data!['jobs'] as { totalCount: number }).totalCount, mine.totalCount);
  });

  it('shows an admin the audit log of its own org only', async () => {
    const { body } = await graphql(
      api.http(),
      adminA,
      '{ auditEvents(first: 100) { nodes { orgId action targetId } } }',
    );
    const nodes = (
      body.data!['auditEvents'] as { nodes: Array<{ orgId: string; targetId: string }> }
    ).nodes;
    assert.ok(nodes.length >= 3);
    assert.ok(nodes.every((event) => event.orgId === ORG_A));
    assert.ok(!nodes.some((event) => jobsOf['B']!.includes(event.targetId)));
  });
});

describe('changing', () => {
  it("cannot cancel another org's job: NOT_FOUND, exactly as for a missing id", async () => {
    const target = jobsOf['B']![0]!;
    const cancel = 'mutation($id: UUID!) { cancelJob(id: $id) { id status } }';
    const theirs = await graphql(api.http(), a, cancel, { id: target });
    const missing = await graphql(api.http(), a, cancel, { id: randomUUID() });
    assert.equal(theirs.status, missing.status);
    assert.deepEqual(codes(theirs.body), ['NOT_FOUND']);
    assert.deepEqual(theirs.body, missing.body);
    const still = await graphql(api.http(), b, 'query($id: UUID!) { job(id: $id) { status } }', {
      id: target,
    });
    assert.deepEqual(still.body, { data: { job: { status: 'QUEUED' } } });
  });

  it("cannot retry another org's failed job", async () => {
    const target = jobsOf['B']![1]!;
    await setJobStatus(db, target, ['running', 'failed']);
    const retry = 'mutation($id: UUID!) { retryJob(id: $id) { id status } }';
    const theirs = await graphql(api.http(), a, retry, { id: target });
    assert.deepEqual(codes(theirs.body), ['NOT_FOUND']);
    const still = await graphql(api.http(), b, 'query($id: UUID!) { job(id: $id) { status } }', {
      id: target,
    });
    assert.deepEqual(still.body, { data: { job: { status: 'FAILED' } } });
    const own = await graphql(api.http(), b, retry, { id: target });
    assert.deepEqual(own.body, { data: { retryJob: { id: target, status: 'QUEUED' } } });
  });

  it('cancels its own job', async () => {
    const { body } = await graphql(
      api.http(),
      a,
      'mutation($id: UUID!) { cancelJob(id: $id) { status } }',
      {
        id: jobsOf['A']![0],
      },
    );
    assert.deepEqual(body, { data: { cancelJob: { status: 'CANCELED' } } });
  });
});
