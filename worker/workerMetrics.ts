/**
 * The worker's Prometheus metrics (served on its metrics port by
 * runtime/metrics/metricsServer.ts; names in docs/operations.md): jobs
 * started, succeeded, failed and dead-lettered by type, stage durations,
 * heartbeats and forced unlocks, the queue's depth read at scrape time with
 * one query, and Node's process metrics.
 */
import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../runtime/logger.js';

const STAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** graphile-worker's queue by state: one pass over its table, which holds only pending jobs. */
const QUEUE_DEPTH_SQL = `
  select count(*) filter (where locked_at is null and attempts < max_attempts and run_at <= now())::int as ready,
         count(*) filter (where locked_at is null and attempts < max_attempts and run_at > now())::int as scheduled,
         count(*) filter (where locked_at is not null)::int as running,
         count(*) filter (where locked_at is null and attempts >= max_attempts)::int as failed
    from graphile_worker._private_jobs`;

export type StageOutcome = 'succeeded' | 'failed';

type QueueDepth = Record<'ready' | 'scheduled' | 'running' | 'failed', number>;

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly #started: Counter<'type'>;
  readonly #succeeded: Counter<'type'>;
  readonly #failed: Counter<'type'>;
  readonly #deadLettered: Counter<'type'>;
  readonly #stages: Histogram<'type' | 'stage' | 'outcome'>;
  readonly #heartbeats: Counter;
  readonly #forcedUnlocks: Counter;

  constructor(pool: pg.Pool, logger: Logger) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const jobs = (name: string, help: string) =>
      new Counter({
        name: `heimdex_worker_jobs_${name}_total`,
        help,
        labelNames: ['type'],
        registers,
      });
    this.#started = jobs('started', 'Job runs started (a redelivered finished job is not one)');
    this.#succeeded = jobs('succeeded', 'Jobs that succeeded');
    this.#failed = jobs('failed', 'Failed attempts, retried or not');
    this.#deadLettered = jobs('dead_lettered', 'Jobs that failed their last attempt');
    this.#stages = new Histogram({
      name: 'heimdex_worker_stage_duration_seconds',
      help: "A job's stage, from entering it to entering the next or the job's end (outcome succeeded), or to the error that failed the attempt (outcome failed)",
      labelNames: ['type', 'stage', 'outcome'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.#heartbeats = new Counter({
      name: 'heimdex_worker_heartbeats_total',
      help: "This worker's heartbeats that reached the database",
      registers,
    });
    this.#forcedUnlocks = new Counter({
      name: 'heimdex_worker_forced_unlocks_total',
      help: 'Worker pools whose job locks this worker freed because they stopped heart-beating',
      registers,
    });
    new Gauge({
      name: 'heimdex_worker_queue_jobs',
      help: "graphile-worker's queue by state (ready, scheduled, running, failed for good), read at scrape",
      labelNames: ['state'],
      registers,
      async collect() {
        try {
          const { rows } = await pool.query<QueueDepth>(QUEUE_DEPTH_SQL);
          for (const [state, count] of Object.entries(rows[0] ?? {})) this.set({ state }, count);
        } catch (err) {
          logger.warn({ err }, 'could not read the queue depth for the metrics');
        }
      },
    });
  }

  jobStarted(type: string): void {
    this.#started.inc({ type });
  }

  jobSucceeded(type: string): void {
    this.#succeeded.inc({ type });
  }

  jobFailed(type: string, deadLettered: boolean): void {
    this.#failed.inc({ type });
    if (deadLettered) this.#deadLettered.inc({ type });
  }

  /** A stage ended: `succeeded` when the job went on (or finished), `failed` when its error failed the attempt. */
  stageDone(type: string, stage: string, seconds: number, outcome: StageOutcome): void {
    this.#stages.observe({ type, stage, outcome }, seconds);
  }

  heartbeat(): void {
    this.#heartbeats.inc();
  }

  forcedUnlocks(pools: number): void {
    this.#forcedUnlocks.inc(pools);
  }
}
