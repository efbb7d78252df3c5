/**
 * A worker killed mid-job (SIGKILL, OOM, a lost VM) leaves its jobs locked,
 * and graphile-worker 0.18 frees such a lock only after 4 hours. So every
 * pool heart-beats into app_private.worker_heartbeats, and on each beat also
 * frees, with graphile-worker's force_unlock_workers, the locks of pools that
 * went silent: those whose heartbeat is stale, and those that never wrote one
 * (died before their first beat) but hold locks older than the same limit.
 * A freed job runs again; the ledger's fencing (worker/ledger.ts) keeps a
 * pool that was only slow from writing over the new run.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { WorkerEvents } from 'graphile-worker';
import type { Logger } from '../server/logger.js';

export interface CrashRecovery {
  stop(): Promise<void>;
}

export function startCrashRecovery(options: {
  pool: pg.Pool;
  events: WorkerEvents;
  heartbeatMs: number;
  staleAfterMs: number;
  logger: Logger;
}): CrashRecovery {
  const { pool, events, heartbeatMs, staleAfterMs } = options;
  const logger = options.logger.child({ component: 'crash-recovery' });
  let poolId: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let tick: Promise<void> = Promise.resolve();
  let stopped = false;

  const beat = async (): Promise<void> => {
    if (!poolId) return;
    await pool.query({
      name: 'heimdex_worker_heartbeat',
      text: `insert into app_private.worker_heartbeats (pool_id, host, pid) values ($1, $2, $3)
             on conflict (pool_id) do update set seen_at = now()`,
      values: [poolId, hostname().slice(0, 255), process.pid],
    });
  };

  const sweep = async (): Promise<void> => {
    const { rows } = await pool.query<{ pool_ids: string[] }>({
      name: 'heimdex_worker_sweep',
      text: `with dead as (
               delete from app_private.worker_heartbeats
                where seen_at < now() - $1::int * interval '1 millisecond'
               returning pool_id
             ), orphaned as (
               select distinct j.locked_by as pool_id
                 from graphile_worker._private_jobs as j
                where j.locked_by is not null
                  and j.locked_at < now() - $1::int * interval '1 millisecond'
                  and not exists (
                    select from app_private.worker_heartbeats as h where h.pool_id = j.locked_by)
             ), gone as (
               select array(select pool_id from dead union select pool_id from orphaned) as pool_ids
             )
             select pool_ids, graphile_worker.force_unlock_workers(pool_ids) from gone`,
      values: [staleAfterMs],
    });
    const freed = rows[0]?.pool_ids ?? [];
    if (freed.length > 0) {
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
      } catch (err) {
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
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await tick;
      if (!poolId) return;
      await pool
        .query('delete from app_private.worker_heartbeats where pool_id = $1', [poolId])
        .catch((err: unknown) => logger.warn({ err }, 'could not retire the heartbeat'));
    },
  };
}
