/**
 * Fair scheduling across orgs, with real worker processes: one org's backlog
 * does not hold up another org's few jobs, and a tenant's priority orders
 * jobs within its org only. The DBA's "why is it waiting" report explains
 * the queue as the worker will take it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { logged, spawnWorker, type WorkerProcess } from '../support/testWorker.js';
import { waitFor } from '../support/waitFor.js';
import { projectRoot } from '../../runtime/paths.js';
import { createJob } from '../../dev/memberJobs.js';

let db: TestDatabase;
let admin: pg.Pool;
let api: pg.Pool;
const children: WorkerProcess[] = [];

before(async () => {
  db = await createTestDatabase();
  admin = new pg.Pool({ connectionString: db.urls.admin, max: 2 });
  api = new pg.Pool({ connectionString: db.urls.api, max: 4 });
});
after(async () => {
  for (const w of children) w.child.kill('SIGKILL');
  await Promise.all(children.map((w) => w.exited));
  await api.end();
  await admin.end();
  await db.drop();
});

async function worker(env: Record<string, string>): Promise<WorkerProcess> {
  const w = spawnWorker(db.urls.admin, env);
  children.push(w);
  await waitFor('the worker process to start', async () => logged(w.lines, 'worker running'));
  return w;
}

/** Jobs created by createJob as a member of `orgId`, `parallel` at a time; their ids in order. */
async function createJobs(orgId: string, n: number, priority = 0, parallel = 1): Promise<string[]> {
  const ids: string[] = new Array<string>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < n) {
        const i = next++;
        ids[i] = await createJob(api, orgId, { priority });
      }
    }),
  );
  return ids;
}

async function statusCounts(orgId: string): Promise<Record<string, number>> {
  const { rows } = await admin.query<{ status: string; n: number }>(
    `select status, count(*)::int as n from app_public.jobs where org_id = $1 group by status`,
    [orgId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

/** Job ids of these orgs in the order their runs started. */
async function startOrder(orgIds: string[]): Promise<Array<{ id: string; org_id: string }>> {
  const { rows } = await admin.query<{ id: string; org_id: string }>(
    `select id::text, org_id::text from app_public.jobs
      where org_id = any($1::uuid[]) and started_at is not null
      order by started_at, id`,
    [orgIds],
  );
  return rows;
}

async function stop(w: WorkerProcess): Promise<void> {
  w.child.kill('SIGTERM');
  assert.equal((await w.exited).code, 0);
}

describe('fair scheduling across orgs', () => {
  it("another org's few jobs start within a job's time of a slot freeing, not after a backlog", async () => {
    // 300 jobs of 3 x 100 ms at concurrency 4: more than 20 s of backlog.
    const w = await worker({ WORKER_CONCURRENCY: '4', JOB_STAGE_DURATION_MS: '100' });
    const [orgA, orgB] = [randomUUID(), randomUUID()];
    await createJobs(orgA, 300, 0, 4);
    const few = await createJobs(orgB, 3);
    const started = await waitFor(
      "org B's jobs to start",
      async () => {
        const { rows } = await admin.query<{ waited_ms: number }>(
          `select extract(epoch from started_at - created_at) * 1000 as waited_ms
             from app_public.jobs where id = any($1::uuid[]) and started_at is not null`,
          [few],
        );
        if (rows.length < few.length) return false;
        return { waited: rows.map((r) => Number(r.waited_ms)), a: await statusCounts(orgA) };
      },
      { timeoutMs: 20_000 },
    );
    assert.ok(
      (started.a['queued'] ?? 0) > 200,
      `A still has a backlog: ${JSON.stringify(started.a)}`,
    );
    assert.ok(
      started.waited.every((ms) => ms < 3_000),
      `B's jobs waited ${started.waited.join(', ')} ms`,
    );
    await stop(w);
    // what is left of A's backlog would only slow the next tests down
    await admin.query(
      `update app_public.jobs set status = 'canceled' where org_id = $1 and status = 'queued'`,
      [orgA],
    );
  });

  it("a member's priority 100 orders jobs within its org, never ahead of another org's", async () => {
    const [orgA, orgB] = [randomUUID(), randomUUID()];
    const aLow = await createJobs(orgA, 5);
    const bJobs = await createJobs(orgB, 3);
    const aHigh = await createJobs(orgA, 2, 100);

    // Priority does not change where org A's jobs stand among org B's.
    const { rows: queue } = await admin.query<{ key: string; priority: number }>(
      `select key, priority from graphile_worker.jobs order by priority, run_at`,
    );
    assert.ok(queue.every((q) => q.priority === 0));
    const at = (id: string) => queue.findIndex((q) => q.key === id);
    assert.ok(
      bJobs.every((b) => aHigh.every((a) => at(b) < at(a))),
      'B queued before A asked for priority: B keeps its place',
    );

    // One job at a time: A's high-priority jobs take A's first turns, and B's
    // three jobs start before A's fifth, as they would with A at priority 0
    // (first come first served would have started all of A's seven first).
    const w = await worker({ WORKER_CONCURRENCY: '1', JOB_STAGE_DURATION_MS: '0' });
    await waitFor('all jobs to finish', async () => {
      const order = await startOrder([orgA, orgB]);
      return order.length === 10 && order;
    });
    const order = await startOrder([orgA, orgB]);
    const aOrder = order.filter((r) => r.org_id === orgA).map((r) => r.id);
    // The two jobs whose turns they took wait in the turns they had.
    assert.deepEqual(aOrder, [...aHigh, aLow[2], aLow[3], aLow[4], aLow[0], aLow[1]]);
    const fifthOfA = order.findIndex((r) => r.id === aOrder[4]);
    assert.ok(
      bJobs.every((b) => order.findIndex((r) => r.id === b) < fifthOfA),
      `start order: ${order.map((r) => (r.org_id === orgA ? 'A' : 'B')).join('')}`,
    );
    assert.ok(logged(w.lines, 'a higher-priority job of the org takes this turn'));
    await stop(w);
  });

  it("the DBA's report says why each queued job waits, in the order the worker takes them", async () => {
    const [orgA, orgB] = [randomUUID(), randomUUID()];
    const backlog = await createJobs(orgA, 4);
    const [late] = await createJobs(orgB, 1);
    const report = await readFile(`${projectRoot}/sql/audit/queue_waits.sql`, 'utf8');
    const { rows } = await admin.query<{
      id: string;
      position: number;
      ahead_other_orgs: number;
      ahead_same_org: number;
      why: string;
    }>(report);
    const mine = rows.filter((r) => [...backlog, late].includes(r.id));
    assert.equal(mine.find((r) => r.id === backlog[0])!.why, 'next up');
    const b = mine.find((r) => r.id === late)!;
    assert.equal(b.why, 'waiting its turn');
    assert.equal(Number(b.ahead_same_org), 0);
    // B's first turn is the round after A's head: behind A's first two jobs at most.
    assert.ok(Number(b.ahead_other_orgs) <= 2, `B waits behind ${b.ahead_other_orgs} of A's`);
    assert.deepEqual(
      mine.filter((r) => r.id !== late).map((r) => r.id),
      backlog,
      "A's jobs keep their order",
    );
  });
});
