/**
 * A pg.Pool shared fairly between orgs. A caller asks for a connection on
 * behalf of an org; while connections are free it gets one at once, unless
 * its org already holds `maxPerOrg`. Otherwise it waits in its org's queue
 * (first come, first served within the org), and each connection that comes
 * back goes to the next org in a ring of waiting orgs that is under its
 * share: one org flooding the pool waits behind itself, not in front of
 * everyone else.
 *
 * The turns are the cost admission's (runtime/admission/costAdmission.ts)
 * with a cost of 1 per connection: the same queues, ring and timeouts that
 * share running cost between orgs share the `max` connections here. A turn
 * taken, the connection comes from the pg.Pool, which never makes anyone
 * wait (the turns keep its callers within `max`); given back, the
 * connection returns to the pg.Pool and the turn to the next org.
 *
 * Nobody waits forever: a caller still waiting after `connectionTimeoutMs`
 * is refused (PoolTimeoutError); the pg.Pool's own timeout bounds opening a
 * connection. With `fair: false` every call goes straight to the pg.Pool, a
 * plain FIFO pool (benchmarks compare the two).
 *
 * Used by the API for its request transactions; it depends on pg only, so
 * the worker may use it too.
 *
 * @example
 *   const pool = new FairPool(new pg.Pool({ max: 10 }), {
 *     max: 10, maxPerOrg: 5, connectionTimeoutMs: 5_000, fair: true,
 *   });
 *   const client = await pool.acquire(orgId);
 *   try { ... } finally { client.release(); }
 */
import type pg from 'pg';
import { AdmissionTimeoutError, CostAdmission } from '../admission/costAdmission.js';

/** Where a caller gets a connection on an org's behalf (a FairPool; in tools, any pool). */
export interface OrgConnections {
  acquire(orgId: string): Promise<pg.PoolClient>;
}

export interface FairPoolOptions {
  /** Connections out at once: the pg.Pool's `max`. */
  max: number;
  /** Connections one org may hold at once. */
  maxPerOrg: number;
  /** How long a caller may wait for its turn before acquire() fails. */
  connectionTimeoutMs: number;
  /** false: no queues of ours, the pg.Pool's FIFO (benchmarks only). */
  fair: boolean;
}

/** acquire() waited `connectionTimeoutMs` without getting a connection. */
export class PoolTimeoutError extends Error {
  override readonly name = 'PoolTimeoutError';
}

/** The pool is ending: no more connections. */
export class PoolEndedError extends Error {
  override readonly name = 'PoolEndedError';
}

export class FairPool implements OrgConnections {
  readonly #options: FairPoolOptions;
  readonly #turns: CostAdmission;

  constructor(
    /** The pg.Pool underneath; what goes to it directly is not counted here. */
    readonly pool: pg.Pool,
    options: FairPoolOptions,
  ) {
    this.#options = options;
    this.#turns = new CostAdmission({
      maxCost: options.max,
      maxCostPerOrg: options.maxPerOrg,
      timeoutMs: options.connectionTimeoutMs,
    });
  }

  /** A connection for `orgId`; `release()` it as any pg.PoolClient (`release(true)` discards it). */
  async acquire(orgId: string): Promise<pg.PoolClient> {
    if (!this.#options.fair) return this.pool.connect();
    let giveTurnBack: () => void;
    try {
      giveTurnBack = await this.#turns.admit(orgId, 1);
    } catch (err) {
      if (!(err instanceof AdmissionTimeoutError)) throw err;
      throw new PoolTimeoutError(
        `no database connection within ${this.#options.connectionTimeoutMs} ms`,
      );
    }
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      giveTurnBack();
      throw err;
    }
    const poolRelease = client.release;
    let released = false;
    client.release = (destroy?: Error | boolean) => {
      if (released) throw new Error('release() called twice for one connection');
      released = true;
      client.release = poolRelease;
      // The connection first, so the next org's turn finds it idle in the pg.Pool.
      poolRelease.call(client, destroy);
      giveTurnBack();
    };
    return client;
  }

  /** Connections out and callers waiting, per org (orgs with neither are left out). */
  usage(): Map<string, { held: number; waiting: number }> {
    return new Map(
      [...this.#turns.usage()].map(([orgId, { running, waiting }]) => [
        orgId,
        { held: running, waiting },
      ]),
    );
  }

  /** Refuses whoever still waits, then ends the pg.Pool. */
  async end(): Promise<void> {
    this.#turns.close(new PoolEndedError('the connection pool is ending'));
    await this.pool.end();
  }
}
