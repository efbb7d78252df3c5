/**
 * Admission by cost: a request runs (touches the database, executes,
 * serializes its answer) only while the cost of what is running stays
 * within budget, over all orgs (`maxCost`) and per org (`maxCostPerOrg`).
 * The cost is what the request may return (the node count), so one org's
 * heavy requests wait for one another, cheaply, before doing any work,
 * while another org's light request fits beside them and goes straight
 * through. Connections alone cannot do that: a heavy read and a light one
 * each take one, but the heavy one takes the CPU (the database's and the
 * event loop's) many times over.
 *
 * A request costlier than `maxCostPerOrg` counts as exactly that much: it
 * runs alone within its org, when nothing else of its org runs, instead of
 * waiting forever. Within an org, requests are admitted first come, first
 * served; between orgs, in a ring of the orgs waiting, one request per org
 * per turn. An org waiting on its own share is passed over; one waiting on
 * the global budget keeps its turn (those behind it wait too), so a costly
 * request is not starved by a stream of cheap ones from other orgs.
 *
 * Nobody waits forever: a request still waiting after `timeoutMs` is
 * refused (AdmissionTimeoutError); one whose `signal` aborts (the client
 * went away) leaves the queue with the signal's reason; `close()` refuses
 * everyone waiting and every later request. The release that admit()
 * resolves to gives the cost back once, whatever happens next.
 *
 * With a cost of 1 per request it is a fair share of N places: the API's
 * connection pool (runtime/db/fairPool.ts) is this, over a pg.Pool.
 *
 * @example
 *   const admission = new CostAdmission({ maxCost: 4_000, maxCostPerOrg: 2_000, timeoutMs: 5_000 });
 *   const release = await admission.admit(orgId, nodes, signal);
 *   try { ... } finally { release(); }
 */

export interface CostAdmissionOptions {
  /** Cost running at once, over all orgs. */
  maxCost: number;
  /** Cost one org may have running at once (at most `maxCost`). */
  maxCostPerOrg: number;
  /** How long a request may wait for its turn before admit() fails. */
  timeoutMs: number;
}

/** Gives the admitted cost back; calling it again does nothing. */
export type ReleaseAdmission = () => void;

/** admit() waited `timeoutMs` without its turn. */
export class AdmissionTimeoutError extends Error {
  override readonly name = 'AdmissionTimeoutError';
}

interface Waiter {
  orgId: string;
  /** The cost counted against the budgets (at most the org's share). */
  weight: number;
  resolve(release: ReleaseAdmission): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface OrgLoad {
  /** Cost of the org's requests running now. */
  running: number;
  /** Its requests waiting, oldest first. */
  waiting: Waiter[];
}

export class CostAdmission {
  readonly #options: CostAdmissionOptions;
  readonly #orgs = new Map<string, OrgLoad>();
  /** Orgs with requests waiting, in the order they will be served. */
  readonly #ring: string[] = [];
  /** Cost running now, over all orgs. */
  #running = 0;
  /** Set by close(): why every request is refused from now on. */
  #closed: Error | undefined;

  constructor(options: CostAdmissionOptions) {
    if (!(options.maxCost >= 1 && options.maxCostPerOrg >= 1)) {
      throw new RangeError('the admission budgets must be at least 1');
    }
    this.#options = { ...options, maxCostPerOrg: Math.min(options.maxCostPerOrg, options.maxCost) };
  }

  /**
   * Resolves when a request of `cost` from `orgId` may run, to its release.
   * Rejects with AdmissionTimeoutError after `timeoutMs`, or with the
   * signal's reason when `signal` aborts first.
   */
  admit(orgId: string, cost: number, signal?: AbortSignal): Promise<ReleaseAdmission> {
    if (this.#closed) return Promise.reject(this.#closed);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const weight = Math.min(Math.max(1, cost), this.#options.maxCostPerOrg);
    const load = this.#load(orgId);
    if (this.#ring.length === 0 && this.#fits(load, weight)) {
      return Promise.resolve(this.#start(orgId, load, weight));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        orgId,
        weight,
        resolve,
        reject,
        signal,
        timer: setTimeout(() => {
          this.#leave(waiter);
          reject(new AdmissionTimeoutError(`not admitted within ${this.#options.timeoutMs} ms`));
        }, this.#options.timeoutMs),
        onAbort: () => {
          this.#leave(waiter);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      if (load.waiting.push(waiter) === 1) this.#ring.push(orgId);
      // The ring was not empty, or this org is at its share: others may still fit.
      this.#serve();
    });
  }

  /** Refuses, with `reason`, every request waiting and every later one; what runs finishes. */
  close(reason: Error): void {
    this.#closed = reason;
    for (const orgId of this.#ring.splice(0)) {
      for (const waiter of this.#orgs.get(orgId)!.waiting.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.signal?.removeEventListener('abort', waiter.onAbort);
        waiter.reject(reason);
      }
      this.#forget(orgId);
    }
  }

  /** Cost running and requests waiting, per org (orgs with neither are left out). */
  usage(): Map<string, { running: number; waiting: number }> {
    return new Map(
      [...this.#orgs].map(([orgId, load]) => [
        orgId,
        { running: load.running, waiting: load.waiting.length },
      ]),
    );
  }

  #load(orgId: string): OrgLoad {
    let load = this.#orgs.get(orgId);
    if (!load) this.#orgs.set(orgId, (load = { running: 0, waiting: [] }));
    return load;
  }

  #fitsOrg(load: OrgLoad, weight: number): boolean {
    return load.running + weight <= this.#options.maxCostPerOrg;
  }

  #fits(load: OrgLoad, weight: number): boolean {
    return this.#fitsOrg(load, weight) && this.#running + weight <= this.#options.maxCost;
  }

  #start(orgId: string, load: OrgLoad, weight: number): ReleaseAdmission {
    load.running += weight;
    this.#running += weight;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      load.running -= weight;
      this.#running -= weight;
      this.#forget(orgId);
      this.#serve();
    };
  }

  /**
   * Admits waiting requests in ring order, one per org per turn, until a
   * whole turn admits nothing or an org's next request waits on the global
   * budget (it keeps its place at the front).
   */
  #serve(): void {
    if (this.#closed) return;
    let passed = 0;
    while (passed < this.#ring.length) {
      const orgId = this.#ring[passed]!;
      const load = this.#orgs.get(orgId)!;
      const waiter = load.waiting[0]!;
      if (!this.#fitsOrg(load, waiter.weight)) {
        passed += 1;
        continue;
      }
      if (!this.#fits(load, waiter.weight)) return;
      load.waiting.shift();
      this.#ring.splice(passed, 1);
      if (load.waiting.length > 0) this.#ring.push(orgId);
      clearTimeout(waiter.timer);
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#start(orgId, load, waiter.weight));
      // The orgs passed over are still at their share: go on from the same place.
    }
  }

  /** Takes a waiter out of its queue (timed out or aborted); who was behind it may now fit. */
  #leave(waiter: Waiter): void {
    clearTimeout(waiter.timer);
    waiter.signal?.removeEventListener('abort', waiter.onAbort);
    const load = this.#orgs.get(waiter.orgId)!;
    load.waiting.splice(load.waiting.indexOf(waiter), 1);
    if (load.waiting.length === 0) this.#ring.splice(this.#ring.indexOf(waiter.orgId), 1);
    this.#forget(waiter.orgId);
    this.#serve();
  }

  /** Drops the entry of an org with nothing running or waiting (the map stays small). */
  #forget(orgId: string): void {
    const load = this.#orgs.get(orgId);
    if (load && load.running === 0 && load.waiting.length === 0) this.#orgs.delete(orgId);
  }
}
