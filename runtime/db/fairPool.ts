/**
 * A pg.Pool shared fairly between orgs. A caller asks for a connection on
 * behalf of an org; while connections are free it gets one at once, unless
 * its org already holds `maxPerOrg`. Otherwise it waits in its org's queue
 * (first come, first served within the org), and each connection that comes
 * back goes to the next org in a ring of waiting orgs that is under its
 * share: one org flooding the pool waits behind itself, not in front of
 * everyone else. A connection handed from one holder to the next never goes
 * back to the pg.Pool in between.
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

interface Waiter {
  orgId: string;
  resolve(client: pg.PoolClient): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface OrgShare {
  /** Connections the org holds now (or that are being opened for it). */
  held: number;
  /** Its callers waiting, oldest first. */
  waiting: Waiter[];
}

type Release = pg.PoolClient['release'];

export class FairPool implements OrgConnections {
  readonly #options: FairPoolOptions;
  readonly #orgs = new Map<string, OrgShare>();
  /** Orgs with callers waiting, in the order they will be served. */
  readonly #ring: string[] = [];
  /** Connections out (held by callers or being opened), over all orgs. */
  #held = 0;
  #ended = false;

  constructor(
    /** The pg.Pool underneath; what goes to it directly is not counted here. */
    readonly pool: pg.Pool,
    options: FairPoolOptions,
  ) {
    this.#options = { ...options, maxPerOrg: Math.min(options.maxPerOrg, options.max) };
  }

  /** A connection for `orgId`; `release()` it as any pg.PoolClient (`release(true)` discards it). */
  acquire(orgId: string): Promise<pg.PoolClient> {
    if (!this.#options.fair) return this.pool.connect();
    if (this.#ended) return Promise.reject(new PoolEndedError('the connection pool is ending'));
    const share = this.#share(orgId);
    if (
      share.waiting.length === 0 &&
      this.#held < this.#options.max &&
      share.held < this.#options.maxPerOrg
    ) {
      return this.#open(orgId, share);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        orgId,
        resolve,
        reject,
        timer: setTimeout(() => this.#giveUp(waiter), this.#options.connectionTimeoutMs),
      };
      if (share.waiting.push(waiter) === 1) this.#ring.push(orgId);
    });
  }

  /** Connections out and callers waiting, per org (orgs with neither are left out). */
  usage(): Map<string, { held: number; waiting: number }> {
    return new Map(
      [...this.#orgs].map(([orgId, share]) => [
        orgId,
        { held: share.held, waiting: share.waiting.length },
      ]),
    );
  }

  /** Refuses whoever still waits, then ends the pg.Pool. */
  async end(): Promise<void> {
    this.#ended = true;
    for (const orgId of this.#ring.splice(0)) {
      for (const waiter of this.#orgs.get(orgId)!.waiting.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new PoolEndedError('the connection pool is ending'));
      }
      this.#forget(orgId);
    }
    await this.pool.end();
  }

  #share(orgId: string): OrgShare {
    let share = this.#orgs.get(orgId);
    if (!share) this.#orgs.set(orgId, (share = { held: 0, waiting: [] }));
    return share;
  }

  /** Drops the entry of an org that holds and awaits nothing (the map stays small). */
  #forget(orgId: string): void {
    const share = this.#orgs.get(orgId);
    if (share && share.held === 0 && share.waiting.length === 0) this.#orgs.delete(orgId);
  }

  /** Takes a connection from the pg.Pool for `orgId`, counted before it arrives. */
  async #open(orgId: string, share: OrgShare): Promise<pg.PoolClient> {
    share.held += 1;
    this.#held += 1;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      share.held -= 1;
      this.#held -= 1;
      this.#forget(orgId);
      this.#serveWaiting();
      throw err;
    }
    return this.#lend(client, orgId, client.release);
  }

  /**
   * Gives `client` to `orgId` with a release of this lease: the pg.Pool's own
   * release (`poolRelease`) runs only when the connection leaves this pool's
   * hands, not when it passes to the next waiting org.
   */
  #lend(client: pg.PoolClient, orgId: string, poolRelease: Release): pg.PoolClient {
    let released = false;
    client.release = (destroy?: Error | boolean) => {
      if (released) throw new Error('release() called twice for one connection');
      released = true;
      this.#giveBack(client, orgId, poolRelease, Boolean(destroy));
    };
    return client;
  }

  #giveBack(client: pg.PoolClient, orgId: string, poolRelease: Release, destroy: boolean): void {
    const share = this.#orgs.get(orgId)!;
    share.held -= 1;
    const next = destroy || this.#ended ? undefined : this.#nextWaiter();
    this.#forget(orgId);
    if (next) {
      // Straight to the next org's caller: the connection stays counted as out.
      this.#share(next.orgId).held += 1;
      next.resolve(this.#lend(client, next.orgId, poolRelease));
      return;
    }
    this.#held -= 1;
    client.release = poolRelease;
    poolRelease.call(client, destroy);
    // A discarded connection freed a place the pg.Pool can fill with a new one.
    this.#serveWaiting();
  }

  /** While connections are free, open them for the waiting orgs in turn. */
  #serveWaiting(): void {
    while (!this.#ended && this.#held < this.#options.max) {
      const next = this.#nextWaiter();
      if (!next) return;
      this.#open(next.orgId, this.#orgs.get(next.orgId)!).then(next.resolve, next.reject);
    }
  }

  /**
   * The oldest caller of the first org in the ring that is under its share;
   * that org moves to the back of the ring if it has more callers waiting.
   */
  #nextWaiter(): Waiter | undefined {
    for (let i = 0; i < this.#ring.length; i++) {
      const orgId = this.#ring[i]!;
      const share = this.#orgs.get(orgId)!;
      if (share.held >= this.#options.maxPerOrg) continue;
      const waiter = share.waiting.shift()!;
      this.#ring.splice(i, 1);
      if (share.waiting.length > 0) this.#ring.push(orgId);
      clearTimeout(waiter.timer);
      return waiter;
    }
    return undefined;
  }

  #giveUp(waiter: Waiter): void {
    const share = this.#orgs.get(waiter.orgId)!;
    share.waiting.splice(share.waiting.indexOf(waiter), 1);
    if (share.waiting.length === 0) this.#ring.splice(this.#ring.indexOf(waiter.orgId), 1);
    this.#forget(waiter.orgId);
    waiter.reject(
      new PoolTimeoutError(`no database connection within ${this.#options.connectionTimeoutMs} ms`),
    );
  }
}
