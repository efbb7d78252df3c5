/**
 * createJob, cancelJob and retryJob through the API: what each writes (job,
 * events, audit, the graphile-worker queue) in the request's one
 * transaction, idempotency (also under concurrency), the states each accepts,
 * input validation, and the roles allowed to call them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { startTestApi, type TestApi } from '../support/testApi.js';
import { tokenFor } from '../support/tokens.js';
import { codes, graphql } from '../support/graphql.js';
import { adminQuery, queueJobs, setJobStatus } from '../support/adminSql.js';
import { countStatements, type StatementCounter } from '../support/statementCounter.js';

const ORG = randomUUID();
let db: TestDatabase;
let api: TestApi;
let member: string;
let viewer: string;
let statements: StatementCounter;

const CREATE = `mutation($input: CreateJobInput!) {
  createJob(input: $input) {
    created
    job { id orgId type status stage progress attempt maxAttempts priority failAtStage idempotencyKey requestedBy createdAt finishedAt }
  }
}`;
const CANCEL = 'mutation($id: UUID!) { cancelJob(id: $id) { id status finishedAt } }';
const RETRY =
  'mutation($id: UUID!) { retryJob(id: $id) { id status attempt lastErrorCode lastErrorMessage finishedAt } }';

interface CreatedJob {
  id: string;
  status: string;
  priority: number;
  maxAttempts: number;
  [field: string]: unknown;
}

async function createJob(input: Record<string, unknown>, token = member) {
  const response = await graphql(api.http(), token, CREATE, { input });
  const payload = response.body.data?.['createJob'] as
    { created: boolean; job: CreatedJob } | undefined;
  return { ...response, payload };
}

async function countRows(): Promise<Record<string, number>> {
  const [row] = await adminQuery<Record<string, number>>(
    db,
    `select (select count(*)::int from app_public.jobs) as jobs,
            (select count(*)::int from app_public.job_events) as events,
            (select count(*)::int from app_public.audit_events) as audits,
            (select count(*)::int from graphile_worker.jobs) as queued`,
  );
  return row!;
}

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  statements = countStatements(api.api.pool);
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  member = await tokenFor(api.config.auth.secret, ORG, 'member', 'mia');
  viewer = await tokenFor(api.config.auth.secret, ORG, 'viewer', 'vic');
});
after(async () => {
  await api.stop();
  await db.drop();
});

describe('createJob', () => {
  it('writes the job, its first event, an audit event and the queue job, keyed by the job id', async () => {
    const { payload } = await createJob({
      type: 'MOCK_PROCESS',
      priority: 7,
      maxAttempts: 5,
      failAtStage: 'ANALYZING',
    });
    assert.equal(payload?.created, true);
    const job = payload!.job;
    assert.deepEqual(
      { ...job, id: undefined, createdAt: undefined },
      {
        id: undefined,
        createdAt: undefined,
        orgId: ORG,
        type: 'MOCK_PROCESS',
        status: 'QUEUED',
        stage: null,
        progress: 0,
        attempt: 0,
        maxAttempts: 5,
        priority: 7,
        failAtStage: 'ANALYZING',
        idempotencyKey: null,
        requestedBy: 'mia',
        finishedAt: null,
      },
    );
    assert.match(String(job.createdAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
    const events = await adminQuery(
      db,
      'select org_id, prev_status, next_status from app_public.job_events where job_id = $1',
      [job.id],
    );
    assert.deepEqual(events, [{ org_id: ORG, prev_status: null, next_status: 'queued' }]);
    const audits = await adminQuery(
      db,
      'select org_id, actor, action, target_type from app_public.audit_events where target_id = $1',
      [job.id],
    );
    assert.deepEqual(audits, [
      { org_id: ORG, actor: 'mia', action: 'job.create', target_type: 'job' },
    ]);
    assert.deepEqual(await queueJobs(db, job.id), [
      {
        task_identifier: 'mock_process',
        payload: { jobId: job.id, orgId: ORG },
        max_attempts: 5,
        // the tenant's priority orders jobs within the org only, never on the shared queue
        priority: 0,
      },
    ]);
  });

  it("leaves unset options to the table's defaults", async () => {
    const { payload } = await createJob({ type: 'MOCK_PROCESS' });
    assert.equal(payload?.job.priority, 0);
    assert.equal(payload?.job.maxAttempts, 3);
  });

  it('returns the existing job for a known idempotency key, writing nothing', async () => {
    const first = await createJob({ type: 'MOCK_PROCESS', idempotencyKey: 'order-42' });
    const rows = await countRows();
    const again = await createJob({
      type: 'MOCK_PROCESS',
      idempotencyKey: 'order-42',
      priority: 3,
    });
    assert.equal(again.payload?.created, false);
    assert.equal(again.payload?.job.id, first.payload?.job.id);
    assert.deepEqual(await countRows(), rows);
  });

  it('makes one job when the same key arrives concurrently', async () => {
    const key = `burst-${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 6 }, () => createJob({ type: 'MOCK_PROCESS', idempotencyKey: key })),
    );
    assert.ok(
      results.every((r) => r.status === 200 && !r.body.errors),
      JSON.stringify(results.map((r) => r.body)),
    );
    assert.equal(results.filter((r) => r.payload?.created).length, 1);
    assert.equal(new Set(results.map((r) => r.payload?.job.id)).size, 1);
    const rows = await adminQuery(
      db,
      'select count(*)::int as n from app_public.jobs where idempotency_key = $1',
      [key],
    );
    assert.deepEqual(rows, [{ n: 1 }]);
  });

  for (const [label, input] of [
    ['a priority above 100', { priority: 101 }],
    ['a priority below -100', { priority: -101 }],
    ['zero attempts', { maxAttempts: 0 }],
    ['more than 25 attempts', { maxAttempts: 26 }],
    ['an empty idempotency key', { idempotencyKey: '' }],
    ['an idempotency key over 200 characters', { idempotencyKey: 'k'.repeat(201) }],
  ] as const) {
    it(`refuses ${label} as BAD_USER_INPUT and writes nothing`, async () => {
      const rows = await countRows();
      const { status, body } = await createJob({ type: 'MOCK_PROCESS', ...input });
      assert.equal(status, 200);
      assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
      assert.match(body.errors![0]!.message, /^Invalid input: /);
      assert.deepEqual(await countRows(), rows);
    });
  }

  it('refuses an unknown job type in the variables with HTTP 400', async () => {
    const { status, body } = await createJob({ type: 'MINE_BITCOIN' });
    assert.equal(status, 400);
    assert.deepEqual(codes(body), ['BAD_USER_INPUT']);
  });

  it('is refused to a viewer: FORBIDDEN, HTTP 403, nothing written', async () => {
    const rows = await countRows();
    const { status, body } = await createJob({ type: 'MOCK_PROCESS' }, viewer);
    assert.equal(status, 403);
    assert.deepEqual(body.data, null);
    assert.deepEqual(codes(body), ['FORBIDDEN']);
    assert.deepEqual(await countRows(), rows);
  });

  it('writes nothing when another part of the same request fails', async () => {
    const rows = await countRows();
    const { body } = await graphql(
      api.http(),
      member,
      `
        mutation ($id: UUID!) {
          first: createJob(input: { type: MOCK_PROCESS }) {
            job {
              id
            }
          }
          second: cancelJob(id: $id) {
            id
          }
        }
      `,
      { id: randomUUID() },
    );
    assert.equal(body.data, null);
    assert.deepEqual(codes(body), ['NOT_FOUND']);
    assert.deepEqual(await countRows(), rows);
  });
});

describe('round trips', () => {
  /** Statements the API sent to serve `fn`: begin and the settings travel with the first. */
  async function sent(fn: () => Promise<unknown>): Promise<number> {
    const before = statements.count;
    await fn();
    return statements.count - before;
  }

  it('each mutation is one statement and its commit, a known idempotency key too', async () => {
    const key = `once-${randomUUID()}`;
    let id = '';
    assert.equal(
      await sent(async () => {
        id = (await createJob({ type: 'MOCK_PROCESS', idempotencyKey: key })).payload!.job.id;
      }),
      2,
      'createJob',
    );
    assert.equal(
      await sent(() => createJob({ type: 'MOCK_PROCESS', idempotencyKey: key })),
      2,
      'createJob with a known key',
    );
    assert.equal(await sent(() => graphql(api.http(), member, CANCEL, { id })), 2, 'cancelJob');
    const failed = (await createJob({ type: 'MOCK_PROCESS' })).payload!.job.id;
    await setJobStatus(db, failed, ['running', 'failed']);
    assert.equal(
      await sent(() => graphql(api.http(), member, RETRY, { id: failed })),
      2,
      'retryJob',
    );
  });
});

describe('cancelJob', () => {
  it('cancels a queued job, records the transition and removes its queue job', async () => {
    const id = (await createJob({ type: 'MOCK_PROCESS' })).payload!.job.id;
    const { body } = await graphql(api.http(), member, CANCEL, { id });
    const job = body.data?.['cancelJob'] as { status: string; finishedAt: string };
    assert.equal(job.status, 'CANCELED');
    assert.ok(job.finishedAt);
    const events = await adminQuery(
      db,
      'select prev_status, next_status from app_public.job_events where job_id = $1 order by id',
      [id],
    );
    assert.deepEqual(events.at(-1), { prev_status: 'queued', next_status: 'canceled' });
    const audits = await adminQuery(
      db,
      "select detail from app_public.audit_events where target_id = $1 and action = 'job.cancel'",
      [id],
    );
    assert.deepEqual(audits, [{ detail: { from: 'queued' } }]);
    assert.deepEqual(
      await adminQuery(db, 'select 1 from graphile_worker.jobs where key = $1', [id]),
      [],
    );
  });

  it('cancels a running job', async () => {
    const id = (await createJob({ type: 'MOCK_PROCESS' })).payload!.job.id;
    await setJobStatus(db, id, ['running']);
    const { body } = await graphql(api.http(), member, CANCEL, { id });
    assert.equal((body.data?.['cancelJob'] as { status: string }).status, 'CANCELED');
  });

  for (const path of [
    ['running', 'succeeded'],
    ['running', 'failed'],
    ['running', 'dead_letter'],
  ] as const) {
    it(`refuses a ${path.at(-1)} job with CONFLICT, changing nothing`, async () => {
      const id = (await createJob({ type: 'MOCK_PROCESS' })).payload!.job.id;
      await setJobStatus(db, id, [...path]);
      const { status, body } = await graphql(api.http(), member, CANCEL, { id });
      assert.equal(status, 200);
      assert.deepEqual(codes(body), ['CONFLICT']);
      const [row] = await adminQuery(db, 'select status from app_public.jobs where id = $1', [id]);
      assert.equal(row?.['status'], path.at(-1));
    });
  }

  it('refuses a second cancel with CONFLICT', async () => {
    const id = (await createJob({ type: 'MOCK_PROCESS' })).payload!.job.id;
    await graphql(api.http(), member, CANCEL, { id });
    const { body } = await graphql(api.http(), member, CANCEL, { id });
    assert.deepEqual(codes(body), ['CONFLICT']);
    assert.match(body.errors![0]!.message, /CANCELED/);
  });

  it('is refused to a viewer', async () => {
    const id = (await createJob({ type: 'MOCK_PROCESS' })).payload!.job.id;
    const { body } = await graphql(api.http(), viewer, CANCEL, { id });
    assert.deepEqual(codes(body), ['FORBIDDEN']);
  });
});

describe('retryJob', () => {
  for (const last of ['failed', 'dead_letter'] as const) {
    it(`queues a ${last} job again from attempt 0, keeping the old error in the event`, async () => {
      const id = (await createJob({ type: 'MOCK_PROCESS', priority: 9 })).payload!.job.id;
      await adminQuery(db, 'delete from graphile_worker._private_jobs where key = $1', [id]);
      await setJobStatus(db, id, ['running', last], {
        code: 'DETERMINISTIC_FAILURE',
        message: 'failed at analyzing',
      });
      const { body } = await graphql(api.http(), member, RETRY, { id });
      assert.deepEqual(body.data?.['retryJob'], {
        id,
        status: 'QUEUED',
        attempt: 0,
        lastErrorCode: null,
        lastErrorMessage: null,
        finishedAt: null,
      });
      const [event] = await adminQuery(
        db,
        'select prev_status, next_status, detail from app_public.job_events where job_id = $1 order by id desc limit 1',
        [id],
      );
      assert.deepEqual(event, {
        prev_status: last,
        next_status: 'queued',
        detail: {
          retry: true,
          previousAttempt: 2,
          previousErrorCode: 'DETERMINISTIC_FAILURE',
          previousErrorMessage: 'failed at analyzing',
        },
      });
      const queue = await queueJobs(db, id);
      // in its fair turn: the tenant's priority stays off the shared queue on a retry too
      assert.deepEqual(
        queue.map((job) => [job['payload'], job['priority']]),
        [[{ jobId: id, orgId: ORG }, 0]],
      );
    });
  }

  for (const path of [[], ['running'], ['running', 'succeeded']] as const) {
    const state = path.at(-1) ?? 'queued';
    it(`refuses a ${state} job with CONFLICT`, async () => {
      const id = (await createJob({ type: 'MOCK_PROCESS' })).payload!.job.id;
      await setJobStatus(db, id, [...path]);
      const { body } = await graphql(api.http(), member, RETRY, { id });
      assert.deepEqual(codes(body), ['CONFLICT']);
    });
  }
});
