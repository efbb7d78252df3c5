/**
 * A worker killed mid-job (SIGKILL, OOM, a lost VM) leaves its jobs locked,
 * and graphile-worker 0.18 frees such a lock only after 4 hours. So every
 * pool heart-beats into app_private.worker_heartbeats, and on each beat also
 * sweeps: frees, with graphile-worker's force_unlock_workers, the locks of
 * pools that went silent (sql/migrations/000011_worker_heartbeats.sql).
 * A freed job runs again; the ledger's fencing (worker/ledger.ts) keeps a
 * pool that was only slow from writing over the new run.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { WorkerEvents } from 'graphile-worker';
import type { WorkerMetrics } from './workerMetrics.js';
import type { Logger } from '../runtime/logger.js';

export interface CrashRecovery {
  /** Whether the last heartbeat and sweep reached the database (false until the first has). */
  databaseReachable(): boolean;
  stop(): Promise<void>;
}

export function startCrashRecovery(options: {
  pool: pg.Pool;
  events: WorkerEvents;
  heartbeatMs: number;
  staleAfterMs: number;
  logger: Logger;
  metrics?: WorkerMetrics | undefined;
}): CrashRecovery {
  const { pool, events, heartbeatMs, staleAfterMs } = options;
  const logger = options.logger.child({ component: 'crash-recovery' });
  let poolId: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> = Promise.resolve();
  let stopped = false;
  let reachable = false;

  const beat = async (): Promise<void> => {
    if (!poolId) return;
    await pool.query({
      name: 'heimdex_worker_heartbeat',
      text: 'select app_private.worker_heartbeat($1, $2, $3)',
      values: [poolId, hostname().slice(0, 255), process.pid],
    });
    options.metrics?.heartbeat();
  };

  const sweep = async (): Promise<void> => {
    const { rows } = await pool.query<{ freed: string[] }>({
      name: 'heimdex_worker_sweep',
      text: 'select app_private.worker_sweep($1) as freed',
      values: [staleAfterMs],
    });
    const freed = rows[0]?.freed ?? [];
    if (freed.length > 0) {
      options.metrics?.forcedUnlocks(freed.length);
      logger.warn(
        { poolIds: freed, staleAfterMs },
        'freed the job locks of worker pools that stopped heart-beating; their jobs run again',
      );
    }
  };

  const run = (): void => {
    tick = (async () => {
      try {
        await beat();
        await sweep();
        reachable = true;
      } catch (err) {
        reachable = false;
        logger.warn({ err }, 'heartbeat or sweep failed; trying again at the next beat');
      }
      if (!stopped) timer = setTimeout(run, heartbeatMs);
    })();
  };

  events.on('pool:create', ({ workerPool }) => {
    poolId = workerPool.id;
    logger.info({ poolId, heartbeatMs, staleAfterMs }, 'heart-beating');
    beat().catch((err: unknown) => logger.warn({ err }, 'first heartbeat failed'));
  });
  run();

  return {
    databaseReachable: () => reachable,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await tick;
      if (!poolId) return;
      await pool
        .query('select app_private.worker_retire($1)', [poolId])
        .catch((err: unknown) => logger.warn({ err }, 'could not retire the heartbeat'));
    },
  };
}
