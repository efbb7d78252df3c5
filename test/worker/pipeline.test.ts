/**
 * The job pipeline end to end, from a job created exactly as createJob makes
 * it to its terminal state, with a real worker (graphile-worker `run()` as
 * heimdex_worker) on a real database.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { cancelJob, createJob } from '../../dev/memberJobs.js';
import { eventsOf, expediteRetries, jobOf, queueJobOf, type EventRow } from '../support/jobs.js';
import { logged, startTestWorker, type TestWorker } from '../support/testWorker.js';
import { waitFor } from '../support/waitFor.js';

let db: TestDatabase;
let admin: pg.Pool;

before(async () => {
  db = await createTestDatabase();
  admin = new pg.Pool({ connectionString: db.urls.admin, max: 3 });
});
after(async () => {
  await admin.end();
  await db.drop();
});

const TERMINAL = ['succeeded', 'failed', 'canceled', 'dead_letter'];

async function settled(id: string, { expedite = false } = {}) {
  return waitFor(`job ${id} to finish`, async () => {
    if (expedite) await expediteRetries(admin);
    const job = await jobOf(admin, id);
    return TERMINAL.includes(job.status) && job;
  });
}

/** Once the ledger is terminal, graphile-worker still has to complete or fail the queue job. */
async function queueSettled(id: string) {
  return waitFor(`the queue job of ${id} to be completed or failed`, async () => {
    const q = await queueJobOf(admin, id);
    return q === undefined ? 'gone' : q.locked_at === null && q.attempts >= q.max_attempts && q;
  });
}

function timeline(events: EventRow[]): string[] {
  return events.map((e) => `${e.prev_status ?? '-'}>${e.next_status}@${e.stage ?? '-'}`);
}

describe('a worker with instant stages', () => {
  let worker: TestWorker;
  before(async () => {
    worker = await startTestWorker(db.urls.worker, { WORKER_CONCURRENCY: '4' });
  });
  after(() => worker.stop());

  it('runs a created job to succeeded with 5 events in order', async () => {
    const org = randomUUID();
    const id = await createJob(db.urls.api, org);
    const job = await settled(id);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.progress, 100);
    assert.equal(job.attempt, 1);
    assert.ok(job.started_at && job.finished_at && job.finished_at >= job.started_at);
    assert.deepEqual(job.result?.stagesCompleted, ['extracting', 'analyzing', 'indexing']);
    assert.equal(typeof job.result?.totalDurationMs, 'number');
    assert.ok(!Number.isNaN(Date.parse(String(job.result?.completedAt))));

    const events = await eventsOf(admin, id);
    assert.deepEqual(timeline(events), [
      '->queued@-',
      'queued>running@extracting',
      'running>running@analyzing',
      'running>running@indexing',
      'running>succeeded@indexing',
    ]);
    // The creation event is the API's (schema/jobs/createJob.ts): the job as created, progress 0.
    assert.deepEqual(
      events.map((e) => e.progress),
      [0, 0, 33, 83, 100],
    );
    assert.ok(events.every((e) => e.org_id === org));
    assert.equal(await queueSettled(id), 'gone');
  });

  it('fails at fail_at_stage on every attempt, then dead-letters after max_attempts', async () => {
    const id = await createJob(db.urls.api, randomUUID(), {
      failAtStage: 'analyzing',
      maxAttempts: 3,
    });
    const job = await settled(id, { expedite: true });
    assert.equal(job.status, 'dead_letter');
    assert.equal(job.attempt, 3);
    assert.equal(job.last_error_code, 'DETERMINISTIC_FAILURE');
    assert.match(job.last_error_message ?? '', /stage analyzing/);
    assert.ok(job.finished_at);

    const events = await eventsOf(admin, id);
    const attempt = (end: string) => [
      'queued>running@extracting',
      'running>running@analyzing',
      `running>${end}@analyzing`,
    ];
    assert.deepEqual(timeline(events), [
      '->queued@-',
      ...attempt('queued'),
      ...attempt('queued'),
      ...attempt('dead_letter'),
    ]);
    assert.deepEqual(
      events.slice(1).map((e) => e.detail.attempt),
      [1, 1, 1, 2, 2, 2, 3, 3, 3],
    );
    assert.equal(events[3]!.detail.errorCode, 'DETERMINISTIC_FAILURE');
    // the queue agrees: no retry left behind a terminal ledger row
    const queue = await queueSettled(id);
    assert.notEqual(queue, 'gone');
  });

  it('retries a transient failure, which then succeeds', async () => {
    // A fault in the database on the first attempt's move to analyzing only.
    await admin.query(`
      create function test_transient_fault() returns trigger language plpgsql as $$
      begin
        raise exception 'injected transient fault' using errcode = '40001';
      end $$;
      create trigger _050_test_fault before update on app_public.jobs for each row
        when (new.stage = 'analyzing' and new.attempt = 1 and old.stage = 'extracting')
        execute function test_transient_fault();`);
    try {
      const id = await createJob(db.urls.api, randomUUID());
      const job = await settled(id, { expedite: true });
      assert.equal(job.status, 'succeeded');
      assert.equal(job.attempt, 2);
      assert.equal(job.last_error_code, 'DATABASE_ERROR');
      const events = await eventsOf(admin, id);
      assert.deepEqual(timeline(events), [
        '->queued@-',
        'queued>running@extracting',
        'running>queued@extracting',
        'queued>running@extracting',
        'running>running@analyzing',
        'running>running@indexing',
        'running>succeeded@indexing',
      ]);
      assert.equal(events[2]!.detail.errorCode, 'DATABASE_ERROR');
      assert.doesNotMatch(String(events[2]!.detail.message), /injected/, 'detail stays internal');
    } finally {
      await admin.query('drop trigger _050_test_fault on app_public.jobs');
      await admin.query('drop function test_transient_fault()');
    }
  });

  it("processes two orgs' jobs concurrently without crossing", async () => {
    const orgs = [randomUUID(), randomUUID()];
    const created = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const org = orgs[i % 2]!;
        return { org, id: await createJob(db.urls.api, org) };
      }),
    );
    for (const { org, id } of created) {
      const job = await settled(id);
      assert.equal(job.status, 'succeeded');
      assert.equal(job.org_id, org);
      const events = await eventsOf(admin, id);
      assert.equal(events.length, 5);
      assert.ok(events.every((e) => e.org_id === org));
    }
  });

  it('treats the redelivery of a finished job as a no-op', async () => {
    const org = randomUUID();
    const id = await createJob(db.urls.api, org);
    await settled(id);
    await admin.query(
      `select graphile_worker.add_job('mock_process', json_build_object('jobId', $1::text, 'orgId', $2::text), job_key := $1)`,
      [id, org],
    );
    await waitFor('the redelivered job to complete', async () =>
      (await queueJobOf(admin, id)) === undefined ? true : undefined,
    );
    assert.equal((await eventsOf(admin, id)).length, 5);
    assert.equal((await jobOf(admin, id)).status, 'succeeded');
  });

  it("a queue job naming one org and another org's job touches nothing and is not retried", async () => {
    const victimOrg = randomUUID();
    const victim = await createJob(db.urls.api, victimOrg);
    await settled(victim);
    const before = await eventsOf(admin, victim);
    const forgedOrg = randomUUID();
    const forged = randomUUID();
    await admin.query(
      `select graphile_worker.add_job('mock_process', json_build_object('jobId', $1::text, 'orgId', $2::text), job_key := $3)`,
      [victim, forgedOrg, forged],
    );
    const queue = await queueSettled(forged);
    assert.ok(queue !== 'gone' && queue.last_error, 'kept, failed for good on its first run');
    assert.deepEqual(await eventsOf(admin, victim), before);
    assert.ok(
      logged(worker.lines, /no ledger row for this job/, { jobId: victim, orgId: forgedOrg }),
    );
  });

  it('a queue job without an org fails for good and never runs unscoped', async () => {
    const victim = await createJob(db.urls.api, randomUUID());
    await settled(victim);
    const before = await eventsOf(admin, victim);
    const key = randomUUID();
    await admin.query(
      `select graphile_worker.add_job('mock_process', json_build_object('jobId', $1::text), job_key := $2)`,
      [victim, key],
    );
    const queue = await queueSettled(key);
    assert.ok(queue !== 'gone' && queue.last_error, 'kept, failed for good on its first run');
    assert.deepEqual(await eventsOf(admin, victim), before);
    assert.ok(logged(worker.lines, /payload has no valid jobId\/orgId/));
  });
});

describe('cancellation', () => {
  it('removes a queued job from the queue; no worker ever runs it', async () => {
    const org = randomUUID();
    const id = await createJob(db.urls.api, org);
    assert.ok(await queueJobOf(admin, id), 'enqueued by createJob');
    await cancelJob(db.urls.api, org, id);
    assert.equal(await queueJobOf(admin, id), undefined);

    const worker = await startTestWorker(db.urls.worker);
    try {
      await waitFor('the worker to poll', async () => logged(worker.lines, 'worker running'));
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await worker.stop();
    }
    const job = await jobOf(admin, id);
    assert.equal(job.status, 'canceled');
    assert.ok(job.finished_at);
    assert.deepEqual(timeline(await eventsOf(admin, id)), ['->queued@-', 'queued>canceled@-']);
  });

  it('stops a running job between stages, with a final event and none after', async () => {
    const worker = await startTestWorker(db.urls.worker, { JOB_STAGE_DURATION_MS: '500' });
    try {
      const org = randomUUID();
      const id = await createJob(db.urls.api, org);
      await waitFor('the job to be past its first stage', async () => {
        const job = await jobOf(admin, id);
        return job.status === 'running' && job.stage !== 'extracting';
      });
      await cancelJob(db.urls.api, org, id);
      await waitFor('the task to stop', async () =>
        logged(worker.lines, /job canceled/, { jobId: id }),
      );
      await new Promise((r) => setTimeout(r, 600)); // longer than a stage: nothing more comes
      const job = await jobOf(admin, id);
      assert.equal(job.status, 'canceled');
      assert.ok(job.finished_at);
      const events = timeline(await eventsOf(admin, id));
      const normal = [
        '->queued@-',
        'queued>running@extracting',
        'running>running@analyzing',
        'running>running@indexing',
      ];
      const ran = events.length - 1;
      assert.deepEqual(events.slice(0, ran), normal.slice(0, ran));
      assert.equal(events[ran], `running>canceled@${job.stage}`);
    } finally {
      await worker.stop();
    }
  });
});
