/**
 * `npm run bench:worker`, on one database in one invocation:
 *  - the pipeline: N jobs created as createJob creates them (spread over the
 *    orgs), drained by the worker with stage duration 0, at concurrency 4 and 8;
 *  - bare graphile-worker draining N no-op jobs with the same settings;
 *  - p50/p99 from createJob's commit to the task starting, on an idle worker.
 * Settings: BENCH_JOBS, BENCH_ORGS, BENCH_DATABASE_URL, and the WORKER_*
 * variables (local queue, pool size, poll interval) for both workers.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { run, type WorkerEvents } from 'graphile-worker';
import { childEnv, loadBenchSettings, loadConfig, type Config } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { graphileLogger } from '../server/graphileLogger.js';
import { startWorker } from '../worker/runner.js';
import { createJob } from '../test/support/jobs.js';
import { benchDatabase } from './benchDatabase.js';
import { measureDrain, type DrainResult } from './drain.js';
import { postmasterPid } from './cpu.js';
import { runMain } from '../server/bin/runMain.js';

await runMain('bench:worker', async ({ onShutdown }) => {
  const settings = loadBenchSettings();
  const logger = createLogger({
    env: 'local',
    version: 'bench',
    logLevel: 'warn',
    service: 'bench',
  });
  const db = await benchDatabase(settings.databaseUrl, logger);
  const api = new pg.Pool({ connectionString: db.urls.api, max: 4 });
  const admin = new pg.Pool({ connectionString: db.urls.admin, max: 1 });
  // dropping the database at the end ends their idle connections
  api.on('error', () => undefined);
  admin.on('error', () => undefined);
  let cleaned: Promise<void> | undefined;
  const cleanUp = (): Promise<void> =>
    (cleaned ??= (async () => {
      await api.end();
      await admin.end();
      await db.drop();
    })());
  // Interrupted (Ctrl-C), the embedded server would outlive the run: stop it.
  onShutdown(cleanUp);
  const orgs = Array.from({ length: settings.orgs }, () => randomUUID());
  const postmaster = await postmasterPid(admin);

  function configFor(concurrency: number): Config {
    return loadConfig(
      childEnv({
        HEIMDEX_ENV: 'local',
        WORKER_CONCURRENCY: String(concurrency),
        JOB_STAGE_DURATION_MS: '0',
      }),
    );
  }

  async function createJobs(n: number): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < n) {
          const i = next++;
          await createJob(api, orgs[i % orgs.length]!);
        }
      }),
    );
  }

  async function pipeline(concurrency: number) {
    await createJobs(settings.jobs);
    const events: WorkerEvents = new EventEmitter();
    const drain = measureDrain(events, settings.jobs, postmaster);
    const worker = await startWorker({
      connectionString: db.urls.worker,
      config: configFor(concurrency),
      logger,
      events,
    });
    const result = await drain;
    await worker.stop();
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from app_public.jobs where status <> 'succeeded'`,
    );
    return { ...result, failed: result.failed + (rows[0]?.n ?? 0) };
  }

  async function bare(concurrency: number) {
    const options = configFor(concurrency).worker;
    const pool = new pg.Pool({ connectionString: db.urls.worker, max: options.poolMax });
    pool.on('error', () => undefined);
    pool.on('connect', (c) => c.on('error', () => undefined));
    for (let added = 0; added < settings.jobs; added += 1_000) {
      await pool.query(
        `select graphile_worker.add_jobs(array(
           select row('bench_noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
             from generate_series(1, $1::int)))`,
        [Math.min(1_000, settings.jobs - added)],
      );
    }
    const events: WorkerEvents = new EventEmitter();
    const drain = measureDrain(events, settings.jobs, postmaster);
    const runner = await run({
      pgPool: pool,
      events,
      logger: graphileLogger(logger),
      concurrency,
      pollInterval: options.pollIntervalMs,
      noHandleSignals: true,
      parsedCronItems: [],
      taskList: { bench_noop: async () => {} },
      preset: {
        worker: {
          localQueue: { size: options.localQueueSize },
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
    });
    const result = await drain;
    await runner.stop();
    await pool.end();
    return result;
  }

  async function idleLatency(samples: number) {
    const events: WorkerEvents = new EventEmitter();
    const started = new Map<string, number>();
    events.on('job:start', ({ job }) => {
      started.set((job.payload as { jobId: string }).jobId, performance.now());
    });
    const worker = await startWorker({
      connectionString: db.urls.worker,
      config: configFor(4),
      logger,
      events,
    });
    await sleep(500);
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const id = await createJob(api, orgs[i % orgs.length]!);
      const committed = performance.now();
      while (!started.has(id)) await sleep(1);
      latencies.push(started.get(id)! - committed);
      await sleep(20); // idle again before the next one
    }
    await worker.stop();
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    return { samples, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies.at(-1)! };
  }

  function row(what: string, concurrency: number, r: DrainResult, bareRate?: number): string {
    const cpu = (us: number | undefined) => (us === undefined ? 'n/a' : us.toFixed(0));
    const total = r.serverUsPerJob === undefined ? undefined : r.processUsPerJob + r.serverUsPerJob;
    return (
      `| ${what} | ${concurrency} | ${r.jobsPerSecond.toFixed(0)} | ` +
      `${bareRate ? `${(r.jobsPerSecond / bareRate).toFixed(2)}x` : '1.00x'} | ` +
      `${cpu(r.processUsPerJob)} | ${cpu(r.serverUsPerJob)} | ${cpu(total)} |` +
      `${r.failed ? ` ${r.failed} NOT SUCCEEDED |` : ''}\n`
    );
  }

  try {
    const base = configFor(4).worker;
    process.stdout.write(
      `${settings.jobs} jobs over ${settings.orgs} orgs, stage duration 0, local queue ` +
        `${base.localQueueSize}, poll ${base.pollIntervalMs} ms, pool ${
          base.poolMax === 6 ? 'concurrency + 2' : base.poolMax
        }; PostgreSQL ${db.serverVersion}; ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}\n\n` +
        '| run | concurrency | jobs/s | vs bare | CPU us/job worker | CPU us/job postgres | CPU us/job total |\n' +
        '| --- | --- | --- | --- | --- | --- | --- |\n',
    );
    for (const concurrency of [4, 8]) {
      const b = await bare(concurrency);
      process.stdout.write(row('bare graphile-worker, no-op', concurrency, b));
      const p = await pipeline(concurrency);
      process.stdout.write(row('pipeline (mock_process)', concurrency, p, b.jobsPerSecond));
    }
    const l = await idleLatency(200);
    process.stdout.write(
      `\ncreateJob commit -> task start, idle worker (${l.samples} jobs): ` +
        `p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms, max ${l.maxMs.toFixed(2)} ms\n`,
    );
  } finally {
    await cleanUp();
  }
});
