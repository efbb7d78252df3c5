/**
 * One client subscription: what it watches, under which claims, and the
 * queue of results its socket has not taken yet. The fan-out offers it each
 * re-read of a job it watches; it decides what the client gets:
 *
 * - jobUpdated: the job whenever it differs from what was last sent; `null`
 *   once (then complete) when the job cannot be read under the claims; after
 *   a terminal status has been sent, complete.
 * - jobsUpdated: each visible job whose re-read differs from what this
 *   subscription last sent for it, and that matches the status filter.
 *
 * Comparing with what was sent makes a re-read that finds nothing new (two
 * notifications coalesced into one read, a resync after the LISTEN
 * connection came back) send nothing. It is an async iterator written out
 * by hand, not an async generator: `return()` must end it at once, even
 * while it waits for the next event, or a client's `complete` would wait for
 * one.
 */
import { hash } from 'node:crypto';
import type { ExecutionResult, GraphQLError } from 'graphql';
import type { RequestClaims } from '../auth/claims.js';
import {
  TERMINAL_JOB_STATUSES,
  type JobReadPlan,
  type JobSubscriptionTarget,
} from '../../schema/subscriptions/planJobRead.js';

/** One re-read of a job for one (plan, variables), shared by the subscriptions that asked. */
export interface JobRead {
  /** The job as the client's selection sees it; null: not visible under the claims. */
  job: Record<string, unknown> | null;
  status: string | undefined;
  /** The read failed (masked errors); `job` is then null. */
  errors: readonly GraphQLError[] | undefined;
  /** Identifies the job's content, to send nothing twice. */
  fingerprint: string;
}

/** The client's results not yet sent; a socket this far behind is not keeping up. */
const MAX_QUEUED_RESULTS = 256;
/** jobsUpdated remembers what it sent for this many jobs (most recent first). */
const MAX_REMEMBERED_JOBS = 256;

export class SlowConsumerError extends Error {
  override readonly name = 'SlowConsumerError';
  constructor() {
    super(`The client fell ${MAX_QUEUED_RESULTS} results behind; subscribe again to continue.`);
  }
}

/** The claims as a key: subscriptions with equal keys share each re-read. */
export function claimKeyOf(claims: RequestClaims): string {
  return JSON.stringify(claims);
}

export function jobReadOf(result: ExecutionResult, plan: JobReadPlan): JobRead {
  const found = result.data?.[plan.responseKey] as Record<string, unknown> | null | undefined;
  if (result.errors?.length || !found) {
    return { job: null, status: undefined, errors: result.errors, fingerprint: '' };
  }
  const { [plan.statusKey]: status, ...job } = found;
  return {
    job,
    status: typeof status === 'string' ? status : undefined,
    errors: undefined,
    fingerprint: hash('sha1', JSON.stringify(job), 'base64'),
  };
}

export class LiveSubscription implements AsyncIterableIterator<ExecutionResult> {
  readonly claimKey: string;
  readonly #queue: ExecutionResult[] = [];
  #wake: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  #done = false;
  #failure: Error | undefined;
  /** jobId -> fingerprint of what was last sent for it. */
  readonly #sent = new Map<string, string>();
  #onEnd: (() => void) | undefined;

  constructor(
    readonly claims: RequestClaims,
    readonly plan: JobReadPlan,
    readonly variables: Readonly<Record<string, unknown>>,
    readonly target: JobSubscriptionTarget,
  ) {
    this.claimKey = claimKeyOf(claims);
  }

  get ended(): boolean {
    return this.#done;
  }

  /** Called once when the subscription ends, for whatever reason. */
  onEnd(callback: () => void): void {
    this.#onEnd = callback;
  }

  /** The variables of the re-read of `jobId`. */
  readVariables(jobId: string): Record<string, unknown> {
    const picked: Record<string, unknown> = {};
    for (const name of this.plan.variableNames) picked[name] = this.variables[name];
    if (this.plan.jobIdVariable) picked[this.plan.jobIdVariable] = jobId;
    return picked;
  }

  /** A re-read of `jobId` under this subscription's claims. */
  offer(jobId: string, read: JobRead): void {
    if (this.#done) return;
    if (read.errors) {
      this.#push({ data: null, errors: read.errors });
      // Nothing was ever sent: the client would wait for a first state forever.
      if (this.target.field === 'jobUpdated' && this.#sent.size === 0) this.#end();
      return;
    }
    if (this.target.field === 'jobUpdated') {
      if (!read.job) {
        this.#push({ data: { [this.plan.responseKey]: null } });
        this.#end();
        return;
      }
    } else {
      if (!read.job) return;
      if (this.target.status !== undefined && read.status !== this.target.status) return;
    }
    if (this.#sent.get(jobId) === read.fingerprint) return;
    this.#remember(jobId, read.fingerprint);
    this.#push({ data: { [this.plan.responseKey]: read.job } });
    if (this.target.field === 'jobUpdated' && TERMINAL_JOB_STATUSES.has(read.status ?? '')) {
      this.#end();
    }
  }

  #remember(jobId: string, fingerprint: string): void {
    this.#sent.delete(jobId);
    this.#sent.set(jobId, fingerprint);
    if (this.#sent.size > MAX_REMEMBERED_JOBS) {
      this.#sent.delete(this.#sent.keys().next().value!);
    }
  }

  #push(result: ExecutionResult): void {
    if (this.#wake) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake({ value: result, done: false });
      return;
    }
    if (this.#queue.length >= MAX_QUEUED_RESULTS) {
      this.#queue.length = 0;
      this.#failure = new SlowConsumerError();
      this.#end();
      return;
    }
    this.#queue.push(result);
  }

  #end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#onEnd?.();
    if (this.#wake && !this.#queue.length) {
      const wake = this.#wake;
      this.#wake = undefined;
      wake({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve({ value: queued, done: false });
    if (this.#failure) {
      const failure = this.#failure;
      this.#failure = undefined;
      return Promise.reject(failure);
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** The client completed the subscription, or its socket closed. */
  return(): Promise<IteratorResult<ExecutionResult>> {
    this.#queue.length = 0;
    this.#failure = undefined;
    this.#end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
