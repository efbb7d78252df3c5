/**
 * The worker: graphile-worker's `run()` as heimdex_worker over one pool shared
 * by the queue and the tasks' ledger calls, plus crash recovery. It neither
 * migrates nor starts a database: `migrate` installed graphile-worker's schema
 * as the owner and granted this role what it needs (sql/worker_grants.sql).
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, type Runner, type WorkerEvents } from 'graphile-worker';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import { graphileLogger } from '../runtime/graphileLogger.js';
import { Ledger } from './ledger.js';
import type { GroupCommitStats } from './groupCommit.js';
import { startCrashRecovery } from './crashRecovery.js';
import { mockProcess } from './tasks/mock_process.js';
import { createWorkerPool } from './workerPool.js';
import { WorkerMetrics } from './workerMetrics.js';
import type { Tracer } from '@opentelemetry/api';

/** After the drain bound, how long interrupted jobs get to give themselves back. */
const RELEASE_GRACE_MS = 5_000;

/** What the worker's health endpoint reports (worker/healthServer.ts). */
export type WorkerHealth = { ok: true } | { ok: false; reason: string };

export interface RunningWorker {
  events: WorkerEvents;
  /** With collectMetrics: the worker's Prometheus metrics. */
  metrics: WorkerMetrics | undefined;
  /** The ledger's group-committed batches so far (worker/groupCommit.ts). */
  ledgerBatches: Readonly<GroupCommitStats>;
  /** Cheap: no query of its own, it reads what the last heartbeat found. */
  health(): WorkerHealth;
  /** Settles when the worker stops: resolves after `stop()`, rejects on a fatal error. */
  done: Promise<void>;
  /**
   * Stop taking jobs; let running ones finish for up to `shutdownTimeoutMs`;
   * then interrupt them (each releases its job to run again) and close the pool.
   */
  stop(): Promise<void>;
}

/** The URL for LISTEN: required behind a pooler, where LISTEN would be lost. */
function directConnection(options: {
  connectionString: string;
  directConnectionString?: string;
  config: Pick<Config, 'database'>;
}): string {
  if (options.directConnectionString) return options.directConnectionString;
  if (options.config.database.pooler === 'none') return options.connectionString;
  throw new Error('DB_POOLER=transaction: the worker needs a direct connection for LISTEN');
}

export async function startWorker(options: {
  connectionString: string;
  /** The same role straight to PostgreSQL, for LISTEN behind a transaction-mode pooler. */
  directConnectionString?: string;
  config: Pick<Config, 'worker' | 'database' | 'shutdownTimeoutMs'>;
  logger: Logger;
  /** graphile-worker's event emitter, for callers that watch jobs (benchmarks). */
  events?: WorkerEvents;
  /** Count Prometheus metrics (RunningWorker.metrics), for the caller to serve (worker/main.ts). */
  collectMetrics?: boolean;
  /** Set only when tracing is on (worker/main.ts): each job run is spans of its job's trace. */
  tracer?: Tracer | undefined;
}): Promise<RunningWorker> {
  const { logger } = options;
  const { worker: settings, database, shutdownTimeoutMs } = options.config;
  const events: WorkerEvents = options.events ?? new EventEmitter();
  const connections = createWorkerPool({
    events,
    connectionString: options.connectionString,
    directConnectionString: directConnection(options),
    config: options.config,
    logger,
  });
  const { pool } = connections;
  const metrics = options.collectMetrics ? new WorkerMetrics(pool, logger) : undefined;

  const recovery = startCrashRecovery({
    pool,
    events,
    heartbeatMs: settings.heartbeatMs,
    staleAfterMs: settings.staleAfterMs,
    logger,
    metrics,
  });
  const ledger = new Ledger(pool, settings.reconnectTimeoutMs, logger);

  let runner: Runner;
  try {
    runner = await run({
      pgPool: pool,
      events,
      logger: graphileLogger(logger),
      concurrency: settings.concurrency,
      pollInterval: settings.pollIntervalMs,
      gracefulShutdownAbortTimeout: shutdownTimeoutMs,
      noHandleSignals: true,
      // Behind a transaction-mode pooler, graphile-worker's own statements run unnamed too.
      noPreparedStatements: database.pooler === 'transaction',
      parsedCronItems: [],
      taskList: {
        mock_process: mockProcess({
          pool,
          ledger,
          logger,
          metrics,
          tracer: options.tracer,
          stageDurationMs: settings.stageDurationMs,
        }),
      },
      preset: {
        worker: {
          localQueue: { size: settings.localQueueSize },
          // Batched (within a tick), a failure to record a job's end stops the
          // pool with a logged reason; unbatched, it is an unhandled rejection.
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
      },
    });
  } catch (err) {
    await recovery.stop();
    await connections.end();
    throw err;
  }
  logger.info(
    { concurrency: settings.concurrency, localQueueSize: settings.localQueueSize },
    'worker running',
  );

  let stopping: Promise<void> | undefined;
  let ended = false;
  runner.promise.then(
    () => (ended = true),
    () => (ended = true),
  );
  return {
    events,
    metrics,
    ledgerBatches: ledger.batches,
    done: runner.promise,
    health() {
      if (stopping) return { ok: false, reason: 'shutting down' };
      if (ended) return { ok: false, reason: 'stopped' };
      if (!recovery.databaseReachable()) return { ok: false, reason: 'database unreachable' };
      return { ok: true };
    },
    stop() {
      stopping ??= (async () => {
        const drained = runner.stop().then(
          () => true,
          (err: unknown) => {
            logger.warn({ err }, 'worker was already stopping');
            return true;
          },
        );
        const inTime = await Promise.race([
          drained,
          sleep(shutdownTimeoutMs + RELEASE_GRACE_MS, false, { ref: false }),
        ]);
        if (!inTime) {
          // Most likely stuck on an unreachable database. Leave without the
          // pool; once this pool's heartbeat is stale, a live worker frees
          // its locks and the jobs run again (crash recovery).
          logger.error(
            { staleAfterMs: settings.staleAfterMs },
            'running jobs did not stop in time; leaving them to crash recovery',
          );
          return;
        }
        await recovery.stop();
        await connections.end();
        logger.info('worker stopped');
      })();
      return stopping;
    },
  };
}
