/**
 * The worker's health endpoint, on the real worker process: only when
 * WORKER_HEALTH_PORT is set, 200 while it runs, 503 while the database is out
 * of reach and while it drains on SIGTERM, 404 for anything else, and gone
 * once the process has exited.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../runtime/config.js';
import { localEnv } from '../support/localEnv.js';
import { withDatabase } from '../../runtime/db/roleUrls.js';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { createJob } from '../../dev/memberJobs.js';
import { jobOf } from '../support/jobs.js';
import { freePort } from '../../dev/freePort.js';
import { logged, spawnWorker, type WorkerProcess } from '../support/testWorker.js';
import { waitFor } from '../support/waitFor.js';

let db: TestDatabase;
let admin: pg.Client;
/** On the `postgres` database: a database's own sessions cannot close it to connections. */
let server: pg.Client;
const children: WorkerProcess[] = [];

before(async () => {
  db = await createTestDatabase();
  admin = new pg.Client({ connectionString: db.urls.admin });
  await admin.connect();
  server = new pg.Client({ connectionString: withDatabase(db.urls.admin, 'postgres') });
  await server.connect();
});
after(async () => {
  for (const w of children) w.child.kill('SIGKILL');
  await Promise.all(children.map((w) => w.exited));
  await server.query(`alter database ${server.escapeIdentifier(db.name)} allow_connections true`);
  await server.end();
  await admin.end();
  await db.drop();
});

async function workerWithHealth(env: Record<string, string> = {}) {
  const port = await freePort();
  const w = spawnWorker(db.urls.admin, { WORKER_HEALTH_PORT: String(port), ...env });
  children.push(w);
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the worker to run', async () => logged(w.lines, 'worker running'));
  return { w, url };
}

async function probe(url: string): Promise<{ status: number; body: { reason?: string } }> {
  const response = await fetch(`${url}/healthz`);
  return { status: response.status, body: (await response.json()) as { reason?: string } };
}

describe('configuration', () => {
  it('is off unless WORKER_HEALTH_PORT is set, and never falls back to PORT', () => {
    assert.equal(loadConfig(localEnv({ PORT: '4000' })).worker.healthPort, undefined);
    assert.equal(loadConfig(localEnv({ WORKER_HEALTH_PORT: '8080' })).worker.healthPort, 8080);
  });
});

describe('GET /healthz on the worker process', () => {
  it('answers 200 while the worker runs, 404 for anything else', async () => {
    const { w, url } = await workerWithHealth();
    const ok = await waitFor('a healthy probe', async () => {
      const p = await probe(url);
      return p.status === 200 && p;
    });
    assert.deepEqual(ok.body, { status: 'ok' });
    assert.equal((await fetch(`${url}/readyz`)).status, 404);
    assert.equal((await fetch(`${url}/healthz`, { method: 'POST' })).status, 404);
    w.child.kill('SIGTERM');
    assert.equal((await w.exited).code, 0);
    await assert.rejects(fetch(`${url}/healthz`), 'closed with the process');
  });

  it('answers 503 while the database refuses connections, and 200 again after', async () => {
    const { w, url } = await workerWithHealth();
    await waitFor('a healthy probe', async () => (await probe(url)).status === 200);
    await server.query(
      `alter database ${server.escapeIdentifier(db.name)} allow_connections false`,
    );
    await server.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = $1 and usename = 'heimdex_worker'`,
      [db.name],
    );
    const down = await waitFor('an unhealthy probe', async () => {
      const p = await probe(url);
      return p.status === 503 && p;
    });
    assert.equal(down.body.reason, 'database unreachable');
    await server.query(`alter database ${server.escapeIdentifier(db.name)} allow_connections true`);
    await waitFor('a healthy probe again', async () => (await probe(url)).status === 200);
    w.child.kill('SIGTERM');
    assert.equal((await w.exited).code, 0);
  });

  it('answers 503 while it drains a running job on SIGTERM', async () => {
    const { w, url } = await workerWithHealth({
      JOB_STAGE_DURATION_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    });
    const id = await createJob(db.urls.api, randomUUID());
    await waitFor('the job to run', async () => (await jobOf(admin, id)).status === 'running');
    w.child.kill('SIGTERM');
    const draining = await waitFor('a draining probe', async () => {
      const p = await probe(url);
      return p.status === 503 && p;
    });
    assert.equal(draining.body.reason, 'shutting down');
    assert.equal((await w.exited).code, 0);
    assert.equal((await jobOf(admin, id)).status, 'succeeded', 'the drain let it finish');
  });
});
