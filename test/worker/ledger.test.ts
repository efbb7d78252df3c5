/**
 * The worker's ledger transitions as heimdex_worker, called exactly as tasks
 * call them: row-level security confines each call to the claimed org, the
 * attempt number fences off stale runs, and a repeated call writes nothing.
 *
 * Group commit: transitions of different jobs that are ready together share
 * one transaction, yet each runs under its own org and one job's trouble (a
 * cancel that lands meanwhile, an error) never touches another's. Jobs
 * changed in one transaction carry the same `updated_at` (the status trigger
 * sets it to now(), the transaction's start).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { createJob, memberRequest } from '../../dev/memberJobs.js';
import { cancelJob } from '../../schema/jobs/changeJobStatus.js';
import { eventsOf, jobOf } from '../support/jobs.js';
import { inRolledBackTransaction, sqlState } from '../support/sqlSession.js';
import { captureLogger } from '../support/captureLogger.js';
import { waitFor } from '../support/waitFor.js';
import { Ledger, TransitionFailed, type JobRun } from '../../worker/ledger.js';

let db: TestDatabase;
let admin: pg.Pool;
let workerPool: pg.Pool;
let ledger: Ledger;

before(async () => {
  db = await createTestDatabase();
  admin = new pg.Pool({ connectionString: db.urls.admin, max: 2 });
  workerPool = new pg.Pool({ connectionString: db.urls.worker, max: 2 });
  ledger = new Ledger(workerPool, 1_000, captureLogger('ledger-test').logger);
});
after(async () => {
  await workerPool.end();
  await admin.end();
  await db.drop();
});

async function newRun(attempt = 1): Promise<JobRun> {
  const orgId = randomUUID();
  return { orgId, jobId: await createJob(db.urls.api, orgId), attempt };
}

describe('row-level security confines every transition to the claimed org', () => {
  it("another org's job is missing to every call, and stays untouched", async () => {
    const victim = await newRun();
    const before = {
      job: await jobOf(admin, victim.jobId),
      events: await eventsOf(admin, victim.jobId),
    };
    const forged: JobRun = { ...victim, orgId: randomUUID() };
    const outcomes = [
      await ledger.start(forged),
      await ledger.enterStage(forged, 'analyzing', 33),
      await ledger.succeed(forged, {}),
      await ledger.fail(forged, { willRetry: false, code: 'INTERNAL_ERROR', message: 'x' }),
      await ledger.release(forged, { id: '1', lockedBy: 'pool-x' }),
    ].map((s) => s.outcome);
    assert.deepEqual(outcomes, ['missing', 'missing', 'missing', 'missing', 'missing']);
    assert.deepEqual(await jobOf(admin, victim.jobId), before.job);
    assert.deepEqual(await eventsOf(admin, victim.jobId), before.events);
  });

  it('request roles cannot call the worker transitions or touch heartbeats', async () => {
    for (const sql of [
      `select app_private.worker_start_job(gen_random_uuid(), 1)`,
      `select * from app_private.worker_heartbeats`,
    ]) {
      const code = await sqlState(
        inRolledBackTransaction(db.urls.api, 'heimdex_admin', { orgId: randomUUID() }, (c) =>
          c.query(sql),
        ),
      );
      assert.equal(code, '42501', sql);
    }
  });

  it('the worker reaches heartbeats only through its functions', async () => {
    for (const sql of [
      'select * from app_private.worker_heartbeats',
      'delete from app_private.worker_heartbeats',
    ]) {
      const code = await sqlState(
        inRolledBackTransaction(db.urls.worker, null, {}, (c) => c.query(sql)),
      );
      assert.equal(code, '42501', sql);
    }
  });
});

describe('transitions', () => {
  it('start moves queued to running at extracting; repeating it writes nothing', async () => {
    const run = await newRun();
    assert.equal((await ledger.start(run)).outcome, 'ok');
    const again = await ledger.start(run);
    assert.deepEqual(
      { outcome: again.outcome, status: again.status, stage: again.stage },
      { outcome: 'ok', status: 'running', stage: 'extracting' },
    );
    assert.equal((await eventsOf(admin, run.jobId)).length, 2);
  });

  it('stages only move forward, once', async () => {
    const run = await newRun();
    await ledger.start(run);
    assert.equal((await ledger.enterStage(run, 'analyzing', 33)).outcome, 'ok');
    assert.equal((await ledger.enterStage(run, 'analyzing', 33)).outcome, 'ok');
    assert.equal((await ledger.enterStage(run, 'extracting', 0)).outcome, 'ok');
    assert.equal((await jobOf(admin, run.jobId)).stage, 'analyzing');
    assert.equal((await eventsOf(admin, run.jobId)).length, 3);
  });

  it('a run that lost the job to a newer run changes nothing', async () => {
    const first = await newRun(1);
    await ledger.start(first);
    await ledger.enterStage(first, 'analyzing', 33);
    const second = { ...first, attempt: 2 };
    const resumed = await ledger.start(second);
    assert.deepEqual(
      { outcome: resumed.outcome, stage: resumed.stage },
      { outcome: 'resumed', stage: 'analyzing' },
    );
    for (const state of [
      await ledger.enterStage(first, 'indexing', 83),
      await ledger.succeed(first, {}),
      await ledger.fail(first, { willRetry: true, code: 'INTERNAL_ERROR', message: 'x' }),
      await ledger.start(first),
    ]) {
      assert.equal(state.outcome, 'superseded');
    }
    const job = await jobOf(admin, first.jobId);
    assert.deepEqual([job.status, job.stage, job.attempt], ['running', 'analyzing', 2]);
    const events = await eventsOf(admin, first.jobId);
    assert.deepEqual(events.at(-1)!.detail, { attempt: 2, resumedFromAttempt: 1 });
  });

  it('fail goes back to queued while retries remain, to dead_letter after', async () => {
    const run = await newRun(1);
    await ledger.start(run);
    const failure = { code: 'DETERMINISTIC_FAILURE' as const, message: 'at extracting' };
    assert.equal((await ledger.fail(run, { willRetry: true, ...failure })).outcome, 'ok');
    let job = await jobOf(admin, run.jobId);
    assert.deepEqual(
      [job.status, job.last_error_code, job.finished_at],
      ['queued', 'DETERMINISTIC_FAILURE', null],
    );
    const last = { ...run, attempt: 2 };
    await ledger.start(last);
    await ledger.fail(last, { willRetry: false, ...failure });
    assert.equal((await ledger.fail(last, { willRetry: false, ...failure })).outcome, 'ok');
    job = await jobOf(admin, run.jobId);
    assert.equal(job.status, 'dead_letter');
    assert.ok(job.finished_at);
    assert.equal((await eventsOf(admin, run.jobId)).length, 5);
    assert.equal((await ledger.start({ ...run, attempt: 3 })).outcome, 'finished');
  });

  it("release returns the job and its queue job's attempt, only for the pool holding it", async () => {
    const run = await newRun(1);
    await admin.query(
      `update graphile_worker._private_jobs set attempts = 1, locked_by = 'pool-a', locked_at = now()
        where key = $1`,
      [run.jobId],
    );
    const { rows } = await admin.query<{ id: string }>(
      'select id from graphile_worker.jobs where key = $1',
      [run.jobId],
    );
    const queueJobId = rows[0]!.id;
    await ledger.start(run);
    const notHolder = await ledger.release(run, { id: queueJobId, lockedBy: 'pool-b' });
    assert.deepEqual([notHolder.outcome, notHolder.status], ['superseded', 'running']);
    const released = await ledger.release(run, { id: queueJobId, lockedBy: 'pool-a' });
    assert.equal(released.status, 'queued');
    const queue = await admin.query('select attempts from graphile_worker.jobs where id = $1', [
      queueJobId,
    ]);
    assert.equal(queue.rows[0].attempts, 0, 'the attempt went back to the queue job');
    assert.equal((await jobOf(admin, run.jobId)).attempt, 0);
  });
});

async function runningJob(orgId = randomUUID()): Promise<JobRun> {
  const run = { orgId, jobId: await createJob(db.urls.api, orgId), attempt: 1 };
  assert.equal((await ledger.start(run)).outcome, 'ok');
  return run;
}

/** When the job last changed, to the microsecond: its transaction's start. */
async function stampOf(run: JobRun): Promise<string> {
  const { rows } = await admin.query<{ at: string }>(
    `select updated_at::text as at from app_public.jobs where id = $1`,
    [run.jobId],
  );
  return rows[0]!.at;
}

/**
 * The cancelJob mutation as the API runs it, in a member's request
 * transaction: begun (the job's row locked) and left open until `commit()`.
 */
async function openCancel(run: JobRun) {
  const request = memberRequest(db.urls.api, run.orgId);
  await cancelJob(request.db, run.jobId);
  return { commit: () => request.finish(true) };
}

describe('transitions ready together share one commit', () => {
  it('a cancel that lands in between stops its own job only; every event is under its own org', async () => {
    const orgA = randomUUID();
    const canceled = await runningJob(orgA);
    const sameOrg = await runningJob(orgA);
    const otherOrg = await runningJob();
    const cancel = await openCancel(canceled);

    // Requested in one turn, so one batch; it waits on the canceled job's row lock.
    const before = { ...ledger.batches };
    const states = Promise.all(
      [canceled, sameOrg, otherOrg].map((run) => ledger.enterStage(run, 'analyzing', 33)),
    );
    await waitFor('the batch to wait for the cancel', async () => {
      const { rows } = await admin.query(
        `select from pg_stat_activity
          where usename = 'heimdex_worker' and wait_event_type = 'Lock'`,
      );
      return rows.length > 0;
    });
    await cancel.commit();
    assert.deepEqual(
      (await states).map((s) => s.outcome),
      ['canceled', 'ok', 'ok'],
    );
    assert.deepEqual(
      [ledger.batches.batches - before.batches, ledger.batches.transitions - before.transitions],
      [1, 3],
      'one batch carried the three transitions',
    );
    assert.ok(ledger.batches.busyMs > before.busyMs);

    const [a, b] = [await eventsOf(admin, sameOrg.jobId), await eventsOf(admin, otherOrg.jobId)];
    assert.equal(a.at(-1)!.stage, 'analyzing');
    assert.equal(b.at(-1)!.stage, 'analyzing');
    assert.equal(await stampOf(sameOrg), await stampOf(otherOrg), 'one transaction');
    assert.notEqual(await stampOf(sameOrg), await stampOf(canceled));
    assert.ok(a.every((e) => e.org_id === orgA));
    assert.ok(b.every((e) => e.org_id === otherOrg.orgId));

    await Promise.all([sameOrg, otherOrg].map((run) => ledger.succeed(run, { done: true })));
    assert.equal((await jobOf(admin, sameOrg.jobId)).status, 'succeeded');
    assert.equal((await jobOf(admin, otherOrg.jobId)).status, 'succeeded');
    const stopped = await eventsOf(admin, canceled.jobId);
    assert.equal((await jobOf(admin, canceled.jobId)).status, 'canceled');
    assert.deepEqual(
      stopped.map((e) => e.next_status),
      ['queued', 'running', 'canceled'],
      'nothing written after the cancel',
    );
    assert.ok(stopped.every((e) => e.org_id === orgA));
  });

  it("one transition's error rolls back that transition only, and the next one runs under its own org", async () => {
    const failing = await runningJob();
    const next = await runningJob();
    const forged: JobRun = { ...(await runningJob()), orgId: next.orgId };
    const results = await Promise.allSettled([
      ledger.enterStage(failing, 'analyzing', 101), // violates progress' check constraint
      ledger.enterStage(next, 'analyzing', 33),
      ledger.enterStage(forged, 'analyzing', 33), // another org's job under next's org: missing
    ]);
    assert.equal(results[0].status, 'rejected');
    const err = (results[0] as PromiseRejectedResult).reason as unknown;
    assert.ok(err instanceof TransitionFailed);
    assert.equal(err.code, '23514');
    assert.deepEqual(
      results.slice(1).map((r) => r.status === 'fulfilled' && r.value.outcome),
      ['ok', 'missing'],
    );
    assert.equal((await jobOf(admin, failing.jobId)).stage, 'extracting');
    assert.equal((await jobOf(admin, next.jobId)).stage, 'analyzing');
    assert.equal((await jobOf(admin, forged.jobId)).stage, 'extracting');
    const written = await eventsOf(admin, next.jobId);
    assert.equal(written.at(-1)!.org_id, next.orgId);
  });
});
