/**
 * A streaming replica that serves read-only requests (READ_DATABASE_URL).
 *
 * Which requests it may serve is decided from its last known state, asked
 * of the replica at most once per POSITION_TTL_MS (one probe in flight at a
 * time, shared by every request waiting for it) rather than per request:
 * - down (no connection, or the probe failed), or not in recovery (a
 *   promoted or misconfigured server, whose data may have forked): none,
 *   asked again after DOWN_RETRY_MS;
 * - behind by more than READ_REPLICA_MAX_LAG_MS: none;
 * - otherwise those without a required position, and those whose required
 *   position (the Heimdex-Consistency header) it has replayed. The replayed
 *   position only grows, so a cached one is a safe lower bound.
 *
 * Lag is the age of the last replayed commit while WAL is received but not yet
 * replayed, and 0 when everything received is replayed: an idle primary does
 * not make its replica look late.
 */
import type pg from 'pg';
import type { DatabaseConfig } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import { createApiPool } from './apiPool.js';
import { FairPool } from '../../runtime/db/fairPool.js';
import { parseWalPosition } from './walPosition.js';

/** How long a probed state is trusted ("a few milliseconds"). */
const POSITION_TTL_MS = 5;
/** How long a replica found down (or not a replica) is left alone before the next probe. */
const DOWN_RETRY_MS = 1_000;
/** The probe's own bound: a replica that does not answer within it counts as down. */
const PROBE_TIMEOUT_MS = 1_000;

export type ReplicaStatus = 'streaming' | 'lagging' | 'down' | 'not_a_replica';

interface ReplicaState {
  status: ReplicaStatus;
  /** pg_last_wal_replay_lsn(), as text and as a number. */
  replayLsn?: string;
  replay?: bigint;
  lagMs?: number;
  /** performance.now() of the probe. */
  checkedAt: number;
}

/** What /readyz shows of the replica. */
export interface ReplicaReport {
  status: ReplicaStatus;
  replayLsn?: string;
  lagMs?: number;
}

const PROBE_SQL = `select pg_is_in_recovery() as in_recovery,
  pg_last_wal_replay_lsn()::text as replay_lsn,
  case when pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0
    else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()) * 1000, 0)
  end::float8 as lag_ms`;

export class ReadReplica {
  /** Connections for requests, as heimdex_authenticator on the replica, shared fairly between orgs. */
  readonly pool: FairPool;
  readonly #probePool: pg.Pool;
  readonly #maxLagMs: number;
  #state: ReplicaState | undefined;
  #probe: Promise<ReplicaState> | undefined;

  constructor(
    db: DatabaseConfig,
    url: string,
    private readonly logger: Logger,
  ) {
    this.#maxLagMs = db.replicaMaxLagMs;
    this.pool = new FairPool(createApiPool(db, url, logger, 'replica requests'), {
      max: db.poolMax,
      maxPerOrg: db.poolMaxPerOrg,
      connectionTimeoutMs: db.connectionTimeoutMs,
      fair: db.poolFair,
    });
    this.#probePool = createApiPool(
      { ...db, connectionTimeoutMs: Math.min(db.connectionTimeoutMs, PROBE_TIMEOUT_MS) },
      url,
      logger,
      'replica probe',
    );
  }

  /**
   * The replica's pool if it may serve a read-only request that must see
   * `after` (undefined: no requirement); undefined sends it to the primary.
   */
  async poolFor(after: bigint | undefined): Promise<FairPool | undefined> {
    const state = await this.#current();
    if (state.status !== 'streaming') return undefined;
    if (after !== undefined && (state.replay === undefined || state.replay < after)) {
      return undefined;
    }
    return this.pool;
  }

  /** A request could not use the replica: it is down until the next probe. */
  markDown(err: unknown): void {
    this.#set({ status: 'down', checkedAt: performance.now() }, err);
  }

  async report(): Promise<ReplicaReport> {
    const { status, replayLsn, lagMs } = await this.#current();
    return { status, replayLsn, lagMs };
  }

  async end(): Promise<void> {
    await this.#probe?.catch(() => undefined);
    await Promise.all([this.pool.end(), this.#probePool.end()]);
  }

  #current(): Promise<ReplicaState> {
    const state = this.#state;
    if (state) {
      const ttl =
        state.status === 'down' || state.status === 'not_a_replica'
          ? DOWN_RETRY_MS
          : POSITION_TTL_MS;
      if (performance.now() - state.checkedAt < ttl) return Promise.resolve(state);
    }
    this.#probe ??= this.#runProbe().finally(() => (this.#probe = undefined));
    return this.#probe;
  }

  async #runProbe(): Promise<ReplicaState> {
    const checkedAt = performance.now();
    let state: ReplicaState;
    let failure: unknown;
    try {
      const { rows } = await this.#probePool.query<{
        in_recovery: boolean;
        replay_lsn: string | null;
        lag_ms: number;
      }>({ text: PROBE_SQL, query_timeout: PROBE_TIMEOUT_MS } as pg.QueryConfig);
      const row = rows[0]!;
      const replay = row.replay_lsn === null ? undefined : parseWalPosition(row.replay_lsn);
      if (!row.in_recovery || replay === undefined) {
        state = { status: 'not_a_replica', checkedAt };
      } else {
        const lagMs = Math.round(row.lag_ms);
        const status = lagMs > this.#maxLagMs ? 'lagging' : 'streaming';
        state = { status, replay, replayLsn: row.replay_lsn!, lagMs, checkedAt };
      }
    } catch (err) {
      failure = err;
      state = { status: 'down', checkedAt };
    }
    this.#set(state, failure);
    return state;
  }

  #set(state: ReplicaState, err?: unknown): void {
    const before = this.#state?.status;
    this.#state = state;
    if (before === state.status) return;
    const fields = { replica: state.status, lagMs: state.lagMs, err };
    if (state.status === 'streaming') this.logger.info(fields, 'read replica serving reads');
    else this.logger.warn(fields, 'read replica skipped: reads go to the primary');
  }
}
