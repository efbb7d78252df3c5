/**
 * Live job progress end to end: real sockets to the real API, jobs created
 * through GraphQL over HTTP, moved by a real worker, each notification sent
 * by the ledger trigger and each result re-read under the subscriber's
 * claims.
 */
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { startTestWorker, type TestWorker } from '../../support/testWorker.js';
import { tokenFor } from '../../support/tokens.js';
import { graphql } from '../../support/graphql.js';
import { GraphqlSocket, type NextPayload } from '../../support/graphqlSocket.js';
import { waitFor } from '../../support/waitFor.js';

const ORG_A = randomUUID();
const ORG_B = randomUUID();
let db: TestDatabase;
let api: TestApi;
let admin: pg.Pool;
let memberA: string;
let viewerA: string;
let memberB: string;
let worker: TestWorker | undefined;
const sockets: GraphqlSocket[] = [];

const JOB_UPDATED = `subscription($id: UUID!) {
  jobUpdated(id: $id) { id status stage progress events { nodes { nextStatus stage } } }
}`;
const JOBS_UPDATED = `subscription($status: JobStatus) {
  jobsUpdated(status: $status) { id orgId status stage }
}`;

async function connect(token: string): Promise<GraphqlSocket> {
  const socket = await GraphqlSocket.connect(api.url, token);
  sockets.push(socket);
  return socket;
}

async function createJob(token: string): Promise<string> {
  const { body } = await graphql(
    api.http(),
    token,
    'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
  );
  const id = (body.data?.['createJob'] as { job: { id: string } } | undefined)?.job.id;
  assert.ok(id, JSON.stringify(body));
  return id;
}

const jobsOf = (nexts: NextPayload[], key: string) =>
  nexts.map((n) => n.data?.[key] as Record<string, unknown> | null);
const states = (jobs: Array<Record<string, unknown> | null>) =>
  jobs.map((j) => (j ? `${String(j['status'])}@${String(j['stage'])}` : 'null'));

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  admin = new pg.Pool({ connectionString: db.urls.admin, max: 2 });
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  const { secret } = api.config.auth;
  memberA = await tokenFor(secret, ORG_A, 'member', 'ann');
  viewerA = await tokenFor(secret, ORG_A, 'viewer', 'vera');
  memberB = await tokenFor(secret, ORG_B, 'member', 'bob');
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((s) => s.close()));
  await worker?.stop();
  worker = undefined;
});
after(async () => {
  await api.stop();
  await admin.end();
  await db.drop();
});

/** Stages long enough that each transition is re-read before the next commits. */
const startWorker = async () => {
  worker = await startTestWorker(db.urls.worker, { JOB_STAGE_DURATION_MS: '300' });
};

describe('jobUpdated', () => {
  it('sends QUEUED, RUNNING at each stage, SUCCEEDED, in order, then completes', async () => {
    const id = await createJob(memberA);
    const socket = await connect(viewerA);
    socket.subscribe('1', JOB_UPDATED, { id });
    await socket.waitFor((m) => m.id === '1' && m.type === 'next');
    await startWorker();
    const { nexts, end } = await socket.until('1');
    assert.equal(end.type, 'complete');
    const jobs = jobsOf(nexts, 'jobUpdated');
    assert.deepEqual(states(jobs), [
      'QUEUED@null',
      'RUNNING@EXTRACTING',
      'RUNNING@ANALYZING',
      'RUNNING@INDEXING',
      'SUCCEEDED@INDEXING',
    ]);
    assert.deepEqual(
      jobs.map((j) => j?.['progress']),
      [0, 0, 33, 83, 100],
    );
    // The selection set is an ordinary Job selection, events included.
    const last = jobs.at(-1) as { events: { nodes: unknown[] } };
    assert.deepEqual(last.events.nodes, [
      { nextStatus: 'QUEUED', stage: null },
      { nextStatus: 'RUNNING', stage: 'EXTRACTING' },
      { nextStatus: 'RUNNING', stage: 'ANALYZING' },
      { nextStatus: 'RUNNING', stage: 'INDEXING' },
      { nextStatus: 'SUCCEEDED', stage: 'INDEXING' },
    ]);
  });

  it('gives null and completes for another org’s job exactly as for an id that does not exist', async () => {
    const foreign = await createJob(memberB);
    const socket = await connect(memberA);
    socket.subscribe('foreign', JOB_UPDATED, { id: foreign });
    socket.subscribe('random', JOB_UPDATED, { id: randomUUID() });
    const [a, b] = await Promise.all([socket.until('foreign'), socket.until('random')]);
    assert.deepEqual(a.nexts, [{ data: { jobUpdated: null } }]);
    assert.deepEqual(a.nexts, b.nexts);
    assert.deepEqual([a.end.type, b.end.type], ['complete', 'complete']);
  });

  it('ends with CANCELED when the job is cancelled while subscribed', async () => {
    await startWorker();
    const id = await createJob(memberA);
    const socket = await connect(memberA);
    socket.subscribe('1', JOB_UPDATED, { id });
    await socket.waitFor(
      (m) =>
        m.type === 'next' &&
        (m.payload as NextPayload).data?.['jobUpdated'] != null &&
        ((m.payload as NextPayload).data!['jobUpdated'] as { status: string }).status === 'RUNNING',
    );
    const { body } = await graphql(
      api.http(),
      memberA,
      'mutation($id: UUID!) { cancelJob(id: $id) { status } }',
      { id },
    );
    assert.deepEqual(body.data, { cancelJob: { status: 'CANCELED' } });
    const { nexts, end } = await socket.until('1');
    assert.equal(end.type, 'complete');
    assert.equal(states(jobsOf(nexts, 'jobUpdated')).at(-1)?.split('@')[0], 'CANCELED');
  });
});

describe('jobsUpdated', () => {
  it('gives each org only its own jobs while both orgs run jobs at once', async () => {
    const [a, b] = [await connect(memberA), await connect(memberB)];
    a.subscribe('all', JOBS_UPDATED);
    b.subscribe('all', JOBS_UPDATED);
    b.subscribe('done', JOBS_UPDATED, { status: 'SUCCEEDED' });
    const before = { ...api.api.subscriptions.fanout.stats };
    await startWorker();
    const created = await Promise.all([
      ...[1, 2, 3].map(() => createJob(memberA)),
      ...[1, 2, 3].map(() => createJob(memberB)),
    ]);
    const [jobsA, jobsB] = [created.slice(0, 3), created.slice(3)];
    const succeeded = (socket: GraphqlSocket, id: string) =>
      socket
        .nexts(id)
        .filter((n) => (n.data?.['jobsUpdated'] as { status: string }).status === 'SUCCEEDED')
        .length;
    await waitFor(
      'every job to be reported succeeded to its org',
      async () =>
        succeeded(a, 'all') === 3 && succeeded(b, 'all') === 3 && succeeded(b, 'done') === 3,
    );
    const seen = (socket: GraphqlSocket, id: string) =>
      jobsOf(socket.nexts(id), 'jobsUpdated').map((j) => j as { id: string; orgId: string });
    assert.deepEqual(new Set(seen(a, 'all').map((j) => j.id)), new Set(jobsA));
    assert.deepEqual(new Set(seen(b, 'all').map((j) => j.id)), new Set(jobsB));
    assert.ok(seen(a, 'all').every((j) => j.orgId === ORG_A));
    assert.ok(seen(b, 'all').every((j) => j.orgId === ORG_B));
    assert.deepEqual(
      seen(b, 'done').map((j) => (j as unknown as { status: string }).status),
      ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'],
    );
    // One re-read per event per claim set: b's two subscriptions share theirs.
    const stats = api.api.subscriptions.fanout.stats;
    const reReads = stats.reReads - before.reReads;
    const notifications = stats.notifications - before.notifications;
    assert.ok(notifications >= 30, `${notifications} notifications`);
    assert.ok(
      reReads > 0 && reReads <= notifications,
      `${reReads} re-reads, ${notifications} events`,
    );
  });
});

describe('the LISTEN connection', () => {
  it('reconnects when killed, and subscribers still get what changed meanwhile', async () => {
    const id = await createJob(memberA);
    const socket = await connect(memberA);
    socket.subscribe('one', JOB_UPDATED, { id });
    socket.subscribe('all', JOBS_UPDATED);
    await socket.waitFor((m) => m.id === 'one' && m.type === 'next');
    const connects = api.api.subscriptions.listener.connects;
    // The transition commits after its listener is gone: its notification is lost.
    const client = await admin.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `select pg_terminate_backend(pid) as killed from pg_stat_activity
          where application_name = 'heimdex-api listen' and datname = current_database()`,
      );
      assert.deepEqual(rows, [{ killed: true }]);
      await client.query(`update app_public.jobs set status = 'canceled' where id = $1`, [id]);
      await client.query(
        `insert into app_public.job_events (job_id, org_id, prev_status, next_status)
         values ($1, $2, 'queued', 'canceled')`,
        [id, ORG_A],
      );
      await client.query('commit');
    } finally {
      client.release();
    }
    const { nexts, end } = await socket.until('one');
    assert.equal(end.type, 'complete');
    assert.deepEqual(states(jobsOf(nexts, 'jobUpdated')), ['QUEUED@null', 'CANCELED@null']);
    await waitFor('jobsUpdated to get the cancelled job', async () =>
      socket
        .nexts('all')
        .some((n) => (n.data?.['jobsUpdated'] as { status: string }).status === 'CANCELED'),
    );
    assert.equal(api.api.subscriptions.listener.connects, connects + 1);
  });
});
