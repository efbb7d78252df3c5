/**
 * The worker's ledger transitions as heimdex_worker, called exactly as tasks
 * call them: row-level security confines each call to the claimed org, the
 * attempt number fences off stale runs, and a repeated call writes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { createJob } from '../../dev/memberJobs.js';
import { eventsOf, jobOf } from '../support/jobs.js';
import { inRolledBackTransaction, sqlState } from '../support/sqlSession.js';
import { captureLogger } from '../support/captureLogger.js';
import { Ledger, type JobRun } from '../../worker/ledger.js';

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
