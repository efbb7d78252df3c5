/**
 * PostgreSQL restarts under a running worker process: the job in flight
 * carries on once the server is back, and the worker keeps taking jobs
 * without being restarted itself. This file runs its own embedded PostgreSQL
 * (a real stop and start of the server), so the shared test server is never
 * disturbed.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../dev/embeddedPostgres.js';
import { bootstrapLocalRoles, migrate } from '../../server/db/migrate.js';
import { deriveLocalRoleUrls, withDatabase } from '../../runtime/db/roleUrls.js';
import { captureLogger } from '../support/captureLogger.js';
import { freePort } from '../../dev/freePort.js';
import { createJob } from '../../dev/memberJobs.js';
import { eventsOf, jobOf } from '../support/jobs.js';
import { logged, spawnWorker, type WorkerProcess } from '../support/testWorker.js';
import { waitFor } from '../support/waitFor.js';

const { logger } = captureLogger('postgres-restart-test');
let dataDir: string;
let port: number;
let server: EmbeddedPostgres | undefined;
let dbUrl: string;
let worker: WorkerProcess | undefined;

function startServer(): Promise<EmbeddedPostgres> {
  return startEmbeddedPostgres({ dataDir, port, logger });
}

before(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'heimdex-restart-pg-'));
  port = await freePort();
  server = await startServer();
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  await c.query('create database heimdex_restart');
  await c.end();
  dbUrl = withDatabase(server.url, 'heimdex_restart');
  await bootstrapLocalRoles(dbUrl, logger);
  await migrate({
    ownerUrl: deriveLocalRoleUrls(dbUrl).migration,
    logger,
    ownerManagesRoles: false,
  });
});

after(async () => {
  if (worker) {
    worker.child.kill('SIGKILL');
    await worker.exited;
  }
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function withAdmin<T>(fn: (admin: pg.Pool) => Promise<T>): Promise<T> {
  const admin = new pg.Pool({ connectionString: dbUrl, max: 1 });
  admin.on('error', () => undefined); // a restart ends idle connections
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

function statusOf(id: string): Promise<string> {
  return withAdmin(async (admin) => (await jobOf(admin, id)).status);
}

it('a worker rides out a PostgreSQL restart: no job lost, no restart of its own', async () => {
  const api = deriveLocalRoleUrls(dbUrl).api;
  worker = spawnWorker(dbUrl, {
    JOB_STAGE_DURATION_MS: '500',
    WORKER_POLL_INTERVAL_MS: '100',
    WORKER_RECONNECT_TIMEOUT_MS: '60000',
  });
  await waitFor('the worker to start', async () => logged(worker!.lines, 'worker running'));
  const inFlight = await createJob(api, randomUUID());
  await waitFor('the job to run', async () => (await statusOf(inFlight)) === 'running');

  // Down for longer than a stage, so the job's next transition meets the outage.
  await server!.stop();
  server = undefined;
  await sleep(1_000);
  server = await startServer();

  await waitFor(
    'the job in flight to succeed',
    async () => (await statusOf(inFlight)) === 'succeeded',
    {
      timeoutMs: 60_000,
      everyMs: 100,
    },
  );
  const after = await createJob(api, randomUUID());
  await waitFor(
    'a job created after the restart to succeed',
    async () => (await statusOf(after)) === 'succeeded',
    {
      timeoutMs: 60_000,
      everyMs: 100,
    },
  );
  assert.equal(worker.child.exitCode, null, 'the worker process kept running');
  assert.ok(logged(worker.lines, /database unreachable; repeating the transition/));

  await withAdmin(async (admin) => {
    const job = await jobOf(admin, inFlight);
    assert.equal(job.attempt, 1, 'carried on within its first attempt');
    assert.deepEqual(
      (await eventsOf(admin, inFlight)).map((e) => e.next_status),
      ['queued', 'running', 'running', 'running', 'succeeded'],
    );
  });

  worker.child.kill('SIGTERM');
  assert.equal((await worker.exited).code, 0);
  worker = undefined;
});
