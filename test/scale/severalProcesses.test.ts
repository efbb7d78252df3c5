/**
 * Several processes on one database, as a deployment with more than one
 * instance runs them: two API processes and two worker processes.
 * - the two-org isolation fuzz, spread over both APIs;
 * - one worker killed with SIGKILL mid-job: the other frees its locks once
 *   its heartbeat is stale and finishes every job;
 * - one API stopped with SIGTERM while requests are in flight: they finish,
 *   it takes no new connection, and new requests are served by the other.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { freePort } from '../../dev/freePort.js';
import { spawnScript, type Spawned } from '../support/processes.js';
import { spawnWorker, type WorkerProcess } from '../support/testWorker.js';
import { tokenFor } from '../support/tokens.js';
import { twoOrgFuzz } from '../support/twoOrgFuzz.js';
import { waitFor } from '../support/waitFor.js';

const SECRET = randomBytes(32).toString('base64url');
const ORG_A = randomUUID();
const ORG_B = randomUUID();
let db: TestDatabase;
let admin: pg.Pool;

interface ApiProcess {
  process: Spawned;
  url: string;
}

async function startApi(): Promise<ApiProcess> {
  const port = await freePort();
  const process = spawnScript('dist/server/bin/api.js', [], {
    HEIMDEX_ENV: 'local',
    AUTH_PROVIDER: 'dev',
    DEV_JWT_SECRET: SECRET,
    DATABASE_URL: db.urls.admin,
    PORT: String(port),
    DB_POOL_MAX: '4',
    // The drain test holds four requests of one org on the database at once.
    DB_POOL_MAX_PER_ORG: '4',
    LOG_LEVEL: 'info',
  });
  await process.waitFor(/"msg":"listening"/, 60_000);
  return { process, url: `http://127.0.0.1:${port}` };
}

async function createJobs(url: string, token: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
      }),
    });
    const body = (await response.json()) as { data: { createJob: { job: { id: string } } } };
    ids.push(body.data.createJob.job.id);
  }
  return ids;
}

async function statuses(ids: string[]): Promise<Record<string, number>> {
  const { rows } = await admin.query<{ status: string; n: number }>(
    'select status, count(*)::int as n from app_public.jobs where id = any($1) group by status',
    [ids],
  );
  return Object.fromEntries(rows.map((row) => [row.status, row.n]));
}

let apis: ApiProcess[] = [];
const workers: WorkerProcess[] = [];

before(async () => {
  db = await createTestDatabase();
  admin = new pg.Pool({ connectionString: db.urls.admin, max: 2 });
  apis = await Promise.all([startApi(), startApi()]);
});
after(async () => {
  for (const api of apis) api.process.child.kill('SIGTERM');
  for (const worker of workers) worker.child.kill('SIGTERM');
  await Promise.all([
    ...apis.map((api) => api.process.exited),
    ...workers.map((worker) => worker.exited),
  ]);
  await admin.end();
  await db.drop();
});

describe('two API processes and two worker processes on one database', () => {
  it('keeps two orgs hammering both APIs at once apart', async () => {
    const result = await twoOrgFuzz({
      urls: apis.map((api) => api.url),
      orgs: [
        { name: 'A', id: ORG_A, token: await tokenFor(SECRET, ORG_A) },
        { name: 'B', id: ORG_B, token: await tokenFor(SECRET, ORG_B) },
      ],
      rounds: 5,
      perRound: 10,
    });
    assert.equal(result.requests, 5 * 10 * 2);
  });

  it('finishes every job when one worker is killed mid-job (SIGKILL)', async () => {
    const env = { JOB_STAGE_DURATION_MS: '300', WORKER_CONCURRENCY: '2' };
    workers.push(spawnWorker(db.urls.admin, env), spawnWorker(db.urls.admin, env));
    const [doomed, survivor] = workers as [WorkerProcess, WorkerProcess];
    const poolIdOf = (worker: WorkerProcess) =>
      waitFor('the worker to heart-beat', async () => {
        const line = worker.lines.find((l) => l['msg'] === 'heart-beating');
        return typeof line?.['poolId'] === 'string' ? line['poolId'] : undefined;
      });
    const doomedPool = await poolIdOf(doomed);
    await poolIdOf(survivor);

    const ids = await createJobs(apis[0]!.url, await tokenFor(SECRET, ORG_A), 10);
    const held = await waitFor('the doomed worker to hold a job', async () => {
      const { rows } = await admin.query<{ n: number }>(
        'select count(*)::int as n from graphile_worker._private_jobs where locked_by = $1',
        [doomedPool],
      );
      return rows[0]!.n > 0 ? rows[0]!.n : undefined;
    });
    doomed.child.kill('SIGKILL');
    assert.equal((await doomed.exited).signal, 'SIGKILL');
    assert.ok(held > 0);

    // Recovery bound: the dead pool is stale after WORKER_STALE_AFTER_MS (1 s
    // in tests), freed at the survivor's next beat; then 10 jobs of ~0.9 s at
    // concurrency 2.
    await waitFor('every job to succeed', async () => (await statuses(ids))['succeeded'] === 10, {
      timeoutMs: 30_000,
      everyMs: 100,
    });
    const freed = survivor.lines.find((l) =>
      String(l['msg']).startsWith('freed the job locks of worker pools'),
    );
    assert.ok(freed, 'the survivor freed the dead pool’s locks');
    assert.ok((freed['poolIds'] as string[]).includes(doomedPool));
    const { rows } = await admin.query<{ n: number }>(
      'select count(*)::int as n from graphile_worker._private_jobs where locked_by = $1',
      [doomedPool],
    );
    assert.equal(rows[0]!.n, 0);
  });

  it('lets in-flight requests finish when one API is stopped, and the other serves new ones', async () => {
    const [stopping, other] = apis as [ApiProcess, ApiProcess];
    const token = await tokenFor(SECRET, ORG_B);
    // Hold the requests in flight: an uncommitted job with the same
    // idempotency key makes each createJob wait on its unique index.
    const blocker = await admin.connect();
    const key = `in-flight-${randomUUID()}`;
    await blocker.query('begin');
    await blocker.query(
      `insert into app_public.jobs (org_id, type, idempotency_key, requested_by)
       values ($1, 'mock_process', $2, 'blocker')`,
      [ORG_B, key],
    );
    const inFlight = Array.from({ length: 4 }, () =>
      fetch(`${stopping.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: `mutation($key: String) { createJob(input: { type: MOCK_PROCESS, idempotencyKey: $key }) { created job { id } } }`,
          variables: { key },
        }),
      }).then(async (response) => ({ status: response.status, body: await response.text() })),
    );
    await waitFor('the requests to wait on the database', async () => {
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`,
      );
      return rows[0]!.n >= 4;
    });
    stopping.process.child.kill('SIGTERM');
    // Draining: no new connections.
    await waitFor('the stopping API to refuse new connections', async () =>
      fetch(`${stopping.url}/healthz`).then(
        () => false,
        () => true,
      ),
    );
    // New work goes to the other instance meanwhile.
    const served = await createJobs(other.url, token, 3);
    assert.equal(served.length, 3);
    await blocker.query('rollback');
    blocker.release();
    const answers = await Promise.all(inFlight);
    for (const answer of answers) assert.equal(answer.status, 200, answer.body);
    const created = answers.map(
      (a) =>
        JSON.parse(a.body) as { data: { createJob: { created: boolean; job: { id: string } } } },
    );
    // One of them created the job, the others got the same job back.
    assert.equal(new Set(created.map((c) => c.data.createJob.job.id)).size, 1);
    assert.equal(await stopping.process.exited, 0, stopping.process.output());
  });
});
