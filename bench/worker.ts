/**
 * `npm run bench:worker`, on one database in one invocation:
 *  - the pipeline: N jobs created as createJob creates them (spread over the
 *    orgs), drained by the worker with stage duration 0, at concurrency 4 and 8;
 *  - bare graphile-worker draining N no-op jobs with the same settings;
 *  - two floors, graphile-worker with the same settings and a task that makes
 *    the pipeline's four round trips per job without its ledger: read-only
 *    statements, then one-row inserts committed one by one as transitions
 *    are. What the pipeline costs beyond the write floor is the ledger's SQL;
 *  - p50/p99 from createJob's commit to the task starting, on an idle worker;
 *  - fairness: one org's backlog, then a few jobs from many orgs; their wait
 *    with the fair queue on and off (a switch for this benchmark only);
 *  - commits per job: the database's xact_commit (pg_stat_database) over a
 *    drain, every transaction of the worker's pool counted, queue fetches too.
 *    A notifying commit wakes every backend that LISTENs on the database
 *    (graphile-worker's own, here), and each wakeup is a read transaction
 *    that counts too; so commits per job with the NOTIFY trigger on exceed
 *    the durable commits;
 *  - the ledger's group commit: transitions per batch, each batch's round
 *    trip, and the share of the drain a batch was in flight.
 * Settings: BENCH_JOBS, BENCH_ORGS, BENCH_ROUNDS, BENCH_DATABASE_URL, BENCH_WORKER_NOTIFY_OFF
 * (each round also drains the pipeline with the live-progress NOTIFY trigger
 * disabled, alternating), and the WORKER_* variables (local queue, pool size,
 * poll interval) for both workers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { run, type WorkerEvents } from 'graphile-worker';
import { loadConfig, type Config } from '../runtime/config.js';
import { childEnv } from '../runtime/process/childProcess.js';
import { loadBenchSettings } from './benchSettings.js';
import { createLogger } from '../runtime/logger.js';
import { graphileLogger } from '../runtime/graphileLogger.js';
import { startWorker } from '../worker/startWorker.js';
import type { GroupCommitStats } from '../worker/groupCommit.js';
import { createJob } from '../dev/memberJobs.js';
import { benchDatabase } from './benchDatabase.js';
import { measureDrain, type DrainResult } from './drain.js';
import { median } from './median.js';
import { postmasterPid } from './cpu.js';
import { runMain } from '../runtime/process/runMain.js';

/** The fairness run's shape (the issue's: one org's 2,000 jobs, then 20 orgs x 5). */
const FAIRNESS = { backlog: 2_000, otherOrgs: 20, perOtherOrg: 5, concurrency: 8, stageMs: 10 };

/** The value at quantile q (0..1) of some samples. */
function quantiles(samples: number[]): (q: number) => number {
  const sorted = [...samples].sort((a, b) => a - b);
  return (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The ledger transitions a job makes: start, two stages, succeed. */
const TRANSITIONS_PER_JOB = 4;

type FloorTask = 'none' | 'reads' | 'writes';

/** A one-row table the write floor inserts into: the cheapest write transaction. */
const FLOOR_TABLE = `
  create schema bench;
  create table bench.floor_writes (id bigint generated always as identity primary key,
                                   at timestamptz not null default now());
  grant usage on schema bench to heimdex_worker;
  grant insert on bench.floor_writes to heimdex_worker`;

const FLOOR_STATEMENTS: Record<FloorTask, pg.QueryConfig | undefined> = {
  none: undefined,
  reads: { name: 'bench_floor_read', text: 'select 1' },
  writes: { name: 'bench_floor_write', text: 'insert into bench.floor_writes default values' },
};

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

  function configFor(concurrency: number, stageDurationMs = 0): Config {
    return loadConfig(
      childEnv({
        HEIMDEX_ENV: 'local',
        DEV_JWT_SECRET: randomBytes(32).toString('base64url'),
        WORKER_CONCURRENCY: String(concurrency),
        JOB_STAGE_DURATION_MS: String(stageDurationMs),
      }),
    );
  }

  /** Committed transactions in the bench database so far, as far as the statistics know. */
  async function commits(): Promise<number> {
    const { rows } = await admin.query<{ n: string }>(
      `select xact_commit as n from pg_stat_database where datname = current_database()`,
    );
    return Number(rows[0]!.n);
  }

  /**
   * Commits during `drain`. A backend reports its counts when it exits or
   * idles, so the jobs are created over connections that are closed before
   * the drain starts, and the worker's pool is closed before the count ends.
   */
  async function countCommits<T extends DrainResult>(drain: () => Promise<T>) {
    await sleep(200); // closed backends have reported
    const before = await commits();
    const result = await drain();
    await sleep(200);
    return { ...result, commitsPerJob: ((await commits()) - before) / result.jobs };
  }

  /** n jobs created as createJob creates them, four at a time, the i-th in org `orgOf(i)`; their ids. */
  async function createJobs(n: number, orgOf = (i: number) => orgs[i % orgs.length]!) {
    const creators = new pg.Pool({ connectionString: db.urls.api, max: 4 });
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < n) {
          const i = next++;
          ids[i] = await createJob(creators, orgOf(i));
        }
      }),
    );
    await creators.end();
    return ids;
  }

  /**
   * The pipeline draining `settings.jobs` jobs. `notify: false` disables the
   * live-progress NOTIFY trigger on job_events (000017) for the drain only:
   * a bench-only switch to measure what the notifications cost.
   */
  async function pipeline(concurrency: number, notify = true) {
    await createJobs(settings.jobs);
    if (!notify) await admin.query('alter table app_public.job_events disable trigger _900_notify');
    let batches: GroupCommitStats | undefined;
    const result = await countCommits(async () => {
      const events: WorkerEvents = new EventEmitter();
      const drain = measureDrain(events, settings.jobs, postmaster);
      const worker = await startWorker({
        connectionString: db.urls.worker,
        config: configFor(concurrency),
        logger,
        events,
      });
      const drained = await drain;
      await worker.stop();
      batches = { ...worker.ledgerBatches };
      return drained;
    });
    if (!notify) await admin.query('alter table app_public.job_events enable trigger _900_notify');

    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from app_public.jobs where status <> 'succeeded'`,
    );
    return { ...result, failed: result.failed + (rows[0]?.n ?? 0), batches: batches! };
  }

  /** graphile-worker alone, same settings: N jobs that each run `task`'s statement once per transition (or nothing). */
  async function graphileWorkerOnly(concurrency: number, task: FloorTask) {
    const options = configFor(concurrency).worker;
    for (let added = 0; added < settings.jobs; added += 1_000) {
      await admin.query(
        `select graphile_worker.add_jobs(array(
           select row('bench_task', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
             from generate_series(1, $1::int)))`,
        [Math.min(1_000, settings.jobs - added)],
      );
    }
    const statement = FLOOR_STATEMENTS[task];
    return countCommits(async () => {
      const pool = new pg.Pool({ connectionString: db.urls.worker, max: options.poolMax });
      pool.on('error', () => undefined);
      pool.on('connect', (c) => c.on('error', () => undefined));
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
        taskList: {
          bench_task: async () => {
            if (!statement) return;
            for (let i = 0; i < TRANSITIONS_PER_JOB; i++) await pool.query(statement);
          },
        },
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
    });
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
    const at = quantiles(latencies);
    return { samples, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) };
  }

  /**
   * The fairness run: one org queues a backlog, then other orgs queue a few
   * jobs each, on a busy worker whose jobs take 3 x FAIRNESS_STAGE_MS. What
   * the others wait, from their createJob to their run's start, with the
   * fair queue on or off (`heimdex.fair_queue`, set on the bench database).
   */
  async function fairness(fair: boolean) {
    const name = pg.escapeIdentifier(
      (await admin.query('select current_database() as d')).rows[0].d,
    );
    await admin.query(`alter database ${name} set heimdex.fair_queue = ${fair ? 'on' : 'off'}`);
    const worker = await startWorker({
      connectionString: db.urls.worker,
      config: configFor(FAIRNESS.concurrency, FAIRNESS.stageMs),
      logger,
    });
    const backlogOrg = randomUUID();
    const others = Array.from({ length: FAIRNESS.otherOrgs }, () => randomUUID());
    await createJobs(FAIRNESS.backlog, () => backlogOrg);
    const ids = await createJobs(
      others.length * FAIRNESS.perOtherOrg,
      (i) => others[i % others.length]!,
    );
    const waits = await waitForStarts(ids);
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from app_public.jobs where org_id = $1 and status = 'queued'`,
      [backlogOrg],
    );
    await worker.stop();
    await admin.query(`update app_public.jobs set status = 'canceled' where status = 'queued'`);
    await admin.query(`alter database ${name} reset heimdex.fair_queue`);
    const at = quantiles(waits);
    return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1), backlogLeft: rows[0]!.n };
  }

  /** Once every job has started: how long each waited, createJob's commit to its run's start (ms). */
  async function waitForStarts(ids: string[]): Promise<number[]> {
    for (;;) {
      const { rows } = await admin.query<{ ms: number }>(
        `select extract(epoch from started_at - created_at) * 1000 as ms
           from app_public.jobs where id = any($1::uuid[]) and started_at is not null`,
        [ids],
      );
      if (rows.length === ids.length) return rows.map((r) => Number(r.ms));
      await sleep(50);
    }
  }

  /** The pipeline; with BENCH_WORKER_NOTIFY_OFF also without NOTIFY, the order alternating by round. */
  function pipelines(round: number, concurrency: number) {
    const runs: Array<readonly [string, () => Promise<Measured>]> = [
      ['pipeline (mock_process)', () => pipeline(concurrency)],
    ];
    if (settings.notifyOff) {
      runs.push(['pipeline, NOTIFY trigger off', () => pipeline(concurrency, false)]);
      if (round % 2 === 0) runs.reverse();
    }
    return runs;
  }

  type Measured = DrainResult & { commitsPerJob: number; batches?: GroupCommitStats };

  /**
   * The ledger's group commit during a pipeline drain: transitions per batch,
   * each batch's round trip, and how much of the drain a batch was in flight
   * (with one batch at a time, near 100% means the ledger's one connection is
   * the bottleneck).
   */
  function batchColumn(r: Measured): string {
    const b = r.batches;
    if (!b?.batches) return 'n/a';
    const drainMs = (r.jobs / r.jobsPerSecond) * 1000;
    return (
      `${(b.transitions / b.batches).toFixed(2)} / ${(b.busyMs / b.batches).toFixed(2)} ms / ` +
      `${((100 * b.busyMs) / drainMs).toFixed(0)}%`
    );
  }

  function row(what: string, concurrency: number, r: Measured, bareRate?: number): string {
    const cpu = (us: number | undefined) => (us === undefined ? 'n/a' : us.toFixed(0));
    const total = r.serverUsPerJob === undefined ? undefined : r.processUsPerJob + r.serverUsPerJob;
    return (
      `| ${what} | ${concurrency} | ${r.jobsPerSecond.toFixed(0)} | ` +
      `${bareRate ? `${(r.jobsPerSecond / bareRate).toFixed(2)}x` : '1.00x'} | ` +
      `${cpu(r.processUsPerJob)} | ${cpu(r.serverUsPerJob)} | ${cpu(total)} | ` +
      `${r.commitsPerJob.toFixed(2)} | ${batchColumn(r)} |` +
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
        '| run | concurrency | jobs/s | vs bare | CPU us/job worker | CPU us/job postgres | ' +
        'CPU us/job total | commits/job | ledger: transitions per batch / ms per batch / busy |\n' +
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n',
    );
    await admin.query(FLOOR_TABLE);
    // Each round measures bare, the floors and the pipeline back to back, so
    // a ratio compares runs minutes apart at most; the medians over rounds
    // are steadier than any one round on a shared machine.
    const ratios = new Map<string, { ratio: number[]; cpu: number[]; commits: number[] }>();
    const record = (what: string, concurrency: number, r: Measured, bareRate: number) => {
      const key = `${what} | ${concurrency}`;
      const seen = ratios.get(key) ?? { ratio: [], cpu: [], commits: [] };
      seen.ratio.push(r.jobsPerSecond / bareRate);
      seen.cpu.push(r.processUsPerJob + (r.serverUsPerJob ?? 0));
      seen.commits.push(r.commitsPerJob);
      ratios.set(key, seen);
    };
    for (let round = 1; round <= settings.rounds; round++) {
      for (const concurrency of [4, 8]) {
        const b = await graphileWorkerOnly(concurrency, 'none');
        process.stdout.write(row('bare graphile-worker, no-op', concurrency, b));
        record('bare graphile-worker, no-op', concurrency, b, b.jobsPerSecond);
        for (const [what, run] of [
          [
            `floor: ${TRANSITIONS_PER_JOB} read round trips`,
            () => graphileWorkerOnly(concurrency, 'reads'),
          ],
          [
            `floor: ${TRANSITIONS_PER_JOB} write transactions`,
            () => graphileWorkerOnly(concurrency, 'writes'),
          ],
          ...pipelines(round, concurrency),
        ] as const) {
          const r = await run();
          process.stdout.write(row(what, concurrency, r, b.jobsPerSecond));
          record(what, concurrency, r, b.jobsPerSecond);
        }
      }
    }
    if (settings.rounds > 1) {
      process.stdout.write(
        `\nMedians over ${settings.rounds} rounds (range in brackets):\n\n` +
          '| run | concurrency | vs bare | CPU us/job total | commits/job |\n' +
          '| --- | --- | --- | --- | --- |\n',
      );
      for (const [key, { ratio, cpu, commits }] of ratios) {
        process.stdout.write(
          `| ${key} | ${median(ratio).toFixed(2)}x [${Math.min(...ratio).toFixed(2)}-` +
            `${Math.max(...ratio).toFixed(2)}] | ${median(cpu).toFixed(0)} | ` +
            `${median(commits).toFixed(2)} |\n`,
        );
      }
    }
    process.stdout.write(
      `\nFairness: one org queues ${FAIRNESS.backlog} jobs, then ${FAIRNESS.otherOrgs} orgs ` +
        `queue ${FAIRNESS.perOtherOrg} each; concurrency ${FAIRNESS.concurrency}, stages of ` +
        `${FAIRNESS.stageMs} ms. The other orgs' wait, createJob to start:\n\n` +
        '| fair queue | p50 ms | p99 ms | max ms | backlog left when the last started |\n' +
        '| --- | --- | --- | --- | --- |\n',
    );
    for (const fair of [true, false]) {
      const f = await fairness(fair);
      process.stdout.write(
        `| ${fair ? 'on' : 'off'} | ${f.p50Ms.toFixed(0)} | ${f.p99Ms.toFixed(0)} | ` +
          `${f.maxMs.toFixed(0)} | ${f.backlogLeft} |\n`,
      );
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
