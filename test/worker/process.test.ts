/**
 * The worker as the process `npm start` runs (`node dist/worker/main.js`,
 * DATABASE_URL set): stopped by SIGTERM, and killed outright with SIGKILL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { createJob } from '../../dev/memberJobs.js';
import { eventsOf, jobOf, queueJobOf, type EventRow } from '../support/jobs.js';
import { logged, spawnWorker, type WorkerProcess } from '../support/testWorker.js';
import { waitFor } from '../support/waitFor.js';

let db: TestDatabase;
let admin: pg.Pool;
const children: WorkerProcess[] = [];

before(async () => {
  db = await createTestDatabase();
  admin = new pg.Pool({ connectionString: db.urls.admin, max: 2 });
});
after(async () => {
  for (const w of children) w.child.kill('SIGKILL');
  await Promise.all(children.map((w) => w.exited));
  await admin.end();
  await db.drop();
});

function worker(env: Record<string, string>): WorkerProcess {
  const w = spawnWorker(db.urls.admin, env);
  children.push(w);
  return w;
}

async function ready(w: WorkerProcess): Promise<void> {
  await waitFor('the worker process to start', async () => logged(w.lines, 'worker running'));
}

async function reaches(
  id: string,
  what: string,
  ok: (job: Awaited<ReturnType<typeof jobOf>>) => boolean,
) {
  return waitFor(what, async () => {
    const job = await jobOf(admin, id);
    return ok(job) && job;
  });
}

function stagesOf(events: EventRow[]): string[] {
  return events.filter((e) => e.next_status === 'running').map((e) => String(e.stage));
}

describe('SIGTERM', () => {
  it('lets a running job finish, then exits 0', async () => {
    const w = worker({ JOB_STAGE_DURATION_MS: '300', SHUTDOWN_TIMEOUT_MS: '10000' });
    await ready(w);
    const id = await createJob(db.urls.api, randomUUID());
    await reaches(id, 'the job to run', (j) => j.status === 'running');
    w.child.kill('SIGTERM');
    assert.deepEqual(await w.exited, { code: 0, signal: null });
    const job = await jobOf(admin, id);
    assert.equal(job.status, 'succeeded');
    assert.equal((await eventsOf(admin, id)).length, 5);
    assert.equal(await queueJobOf(admin, id), undefined);
  });

  it('past the drain bound, releases the job without using an attempt; it runs again', async () => {
    const w = worker({ JOB_STAGE_DURATION_MS: '20000', SHUTDOWN_TIMEOUT_MS: '300' });
    await ready(w);
    const id = await createJob(db.urls.api, randomUUID());
    await reaches(id, 'the job to run', (j) => j.status === 'running');
    const signaled = Date.now();
    w.child.kill('SIGTERM');
    assert.deepEqual(await w.exited, { code: 0, signal: null });
    assert.ok(Date.now() - signaled < 10_000, 'did not wait for the 20 s stage');

    const released = await jobOf(admin, id);
    assert.equal(released.status, 'queued');
    const queue = await queueJobOf(admin, id);
    assert.ok(queue, 'still on the queue');
    assert.equal(queue.attempts, 0, 'the attempt was given back');
    assert.equal(queue.locked_at, null);

    const next = worker({ JOB_STAGE_DURATION_MS: '0' });
    const done = await reaches(id, 'the job to run again', (j) => j.status === 'succeeded');
    assert.equal(done.attempt, 1);
    const events = await eventsOf(admin, id);
    assert.deepEqual(
      events.map((e) => e.next_status),
      ['queued', 'running', 'queued', 'running', 'running', 'running', 'succeeded'],
    );
    assert.equal(events[2]!.detail.released, 'worker shutting down');
    next.child.kill('SIGTERM');
    assert.equal((await next.exited).code, 0);
  });
});

describe('SIGKILL', () => {
  it('a restarted worker frees the dead worker’s lock and the job completes', async () => {
    const settings = {
      JOB_STAGE_DURATION_MS: '400',
      WORKER_HEARTBEAT_MS: '100',
      WORKER_STALE_AFTER_MS: '1000',
    };
    const first = worker(settings);
    await ready(first);
    const id = await createJob(db.urls.api, randomUUID());
    await reaches(id, 'the job to be mid-way', (j) => j.stage === 'analyzing');
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const stranded = await queueJobOf(admin, id);
    assert.ok(stranded?.locked_at, 'the dead worker still holds the lock');
    const stageAtKill = (await jobOf(admin, id)).stage;

    const second = worker(settings);
    const job = await reaches(id, 'the job to succeed', (j) => j.status === 'succeeded');
    assert.equal(job.attempt, 2);
    assert.ok(logged(second.lines, /freed the job locks/));

    const events = await eventsOf(admin, id);
    assert.equal(events.filter((e) => e.next_status === 'succeeded').length, 1);
    // Each stage is entered once, except the one the killed run was in, which
    // the new run resumes (one more event, marked as such).
    const resumed = events.filter((e) => e.detail.resumedFromAttempt !== undefined);
    assert.equal(resumed.length, 1);
    assert.equal(resumed[0]!.detail.resumedFromAttempt, 1);
    const stages = stagesOf(events.filter((e) => !resumed.includes(e)));
    assert.deepEqual(stages, ['extracting', 'analyzing', 'indexing']);
    assert.equal(resumed[0]!.stage, stageAtKill);
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });
});

describe('SIGKILL in the middle of group commits', () => {
  it('loses no committed transition, and every recovered job finishes once, in order', async () => {
    const settings = {
      WORKER_CONCURRENCY: '8',
      JOB_STAGE_DURATION_MS: '40',
      WORKER_HEARTBEAT_MS: '100',
      WORKER_STALE_AFTER_MS: '1000',
    };
    const orgs = [randomUUID(), randomUUID(), randomUUID()];
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(await createJob(db.urls.api, orgs[i % orgs.length]!));
    const first = worker(settings);
    await waitFor('some jobs done and others running', async () => {
      const { rows } = await admin.query<{ done: number; running: number }>(
        `select count(*) filter (where status = 'succeeded')::int as done,
                count(*) filter (where status = 'running')::int as running
           from app_public.jobs where id = any($1::uuid[])`,
        [ids],
      );
      return rows[0]!.done >= 8 && rows[0]!.running >= 4;
    });
    first.child.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    const committed = await admin.query<{ id: string }>(
      `select id::text from app_public.job_events where job_id = any($1::uuid[])`,
      [ids],
    );

    const second = worker(settings);
    await waitFor('every job to succeed', async () => {
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int as n from app_public.jobs
          where id = any($1::uuid[]) and status = 'succeeded'`,
        [ids],
      );
      return rows[0]!.n === ids.length;
    });
    const kept = await admin.query(
      `select from app_public.job_events where id = any($1::bigint[])`,
      [committed.rows.map((r) => r.id)],
    );
    assert.equal(
      kept.rowCount,
      committed.rowCount,
      'every event committed before the kill is there',
    );
    for (const id of ids) {
      const job = await jobOf(admin, id);
      const events = await eventsOf(admin, id);
      assert.ok(
        events.every((e) => e.org_id === job.org_id),
        'events under the job’s org',
      );
      assert.equal(events.filter((e) => e.next_status === 'succeeded').length, 1);
      const resumed = events.filter((e) => e.detail.resumedFromAttempt !== undefined);
      assert.ok(resumed.length <= 1);
      assert.deepEqual(stagesOf(events.filter((e) => !resumed.includes(e))), [
        'extracting',
        'analyzing',
        'indexing',
      ]);
    }
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });
});
