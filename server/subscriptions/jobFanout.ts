/**
 * From "a job of org O changed" to each subscriber's next result, with one
 * re-read per distinct claim set, never one per socket.
 *
 * A notification concerns the subscriptions to that job (jobUpdated) and to
 * its org (jobsUpdated). They are grouped by claim set; each group gets one
 * re-read of the job (jobReader.ts: one transaction with those claims, so
 * RLS decides), which runs each distinct (document, variables) of the group
 * once and offers the result to every subscription that asked for it. The
 * org only narrows who re-reads: whether a subscriber sees the job is
 * decided by the re-read, under its own claims.
 *
 * Re-reads under one claim set run one at a time, in order: notifications
 * that arrive meanwhile join the next re-read (up to MAX_JOBS_PER_RE_READ
 * jobs in its one transaction), so a burst costs at most one more read per
 * job, a backlog is worked off in few transactions, and a subscriber never
 * gets an older state of a job after a newer one.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Logger } from '../../runtime/logger.js';
import type { JobReadPlan } from '../../schema/subscriptions/planJobRead.js';
import { toClientError } from '../../schema/errors/toClientError.js';
import type { RequestClaims } from '../auth/claims.js';
import type { JobReader, ReadRequest } from './jobReader.js';
import { jobReadOf, type JobRead, type LiveSubscription } from './liveSubscription.js';

export interface JobNotification {
  orgId: string;
  jobId: string;
}

/** Counters for the benchmark and the logs. */
export interface FanoutStats {
  notifications: number;
  /** Re-read transactions, each under one claim set. */
  reReads: number;
  /** Reads (one job, one document) in those transactions. */
  reads: number;
  /** Results offered to subscriptions (sent unless unchanged or filtered out). */
  offers: number;
}

/** The re-reads waiting under one claim set: job id -> the subscriptions that asked. */
interface Refresh {
  claimKey: string;
  claims: RequestClaims;
  pending: Map<string, Set<LiveSubscription>>;
  running: boolean;
}

/** Jobs one re-read transaction reads at most; the rest wait for the next. */
const MAX_JOBS_PER_RE_READ = 50;

function addTo<K>(index: Map<K, Set<LiveSubscription>>, key: K, sub: LiveSubscription): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(sub);
}

function removeFrom<K>(index: Map<K, Set<LiveSubscription>>, key: K, sub: LiveSubscription) {
  const set = index.get(key);
  set?.delete(sub);
  if (set?.size === 0) index.delete(key);
}

export class JobFanout {
  readonly #byJob = new Map<string, Set<LiveSubscription>>();
  readonly #byOrg = new Map<string, Set<LiveSubscription>>();
  readonly #refreshes = new Map<string, Refresh>();
  readonly #idle = new Set<() => void>();
  readonly stats: FanoutStats = { notifications: 0, reReads: 0, reads: 0, offers: 0 };

  constructor(
    private readonly reader: JobReader,
    private readonly logger: Logger,
  ) {}

  /** Live subscriptions now. */
  get size(): number {
    let n = 0;
    for (const set of this.#byJob.values()) n += set.size;
    for (const set of this.#byOrg.values()) n += set.size;
    return n;
  }

  /** Starts a subscription; jobUpdated reads the job's current state at once. */
  add(sub: LiveSubscription): void {
    const { target } = sub;
    if (target.field === 'jobUpdated') {
      addTo(this.#byJob, target.jobId, sub);
      sub.onEnd(() => removeFrom(this.#byJob, target.jobId, sub));
      this.#schedule(sub.claims, target.jobId, [sub]);
    } else {
      addTo(this.#byOrg, sub.claims.orgId, sub);
      sub.onEnd(() => removeFrom(this.#byOrg, sub.claims.orgId, sub));
    }
  }

  /** A ledger transition committed. */
  notify({ orgId, jobId }: JobNotification): void {
    this.stats.notifications++;
    const groups = new Map<string, LiveSubscription[]>();
    for (const set of [this.#byJob.get(jobId), this.#byOrg.get(orgId)]) {
      for (const sub of set ?? []) {
        const group = groups.get(sub.claimKey);
        if (group) group.push(sub);
        else groups.set(sub.claimKey, [sub]);
      }
    }
    for (const group of groups.values()) this.#schedule(group[0]!.claims, jobId, group);
  }

  /**
   * Notifications may have been lost (the LISTEN connection was down): every
   * jobUpdated re-reads its job, and every claim set with jobsUpdated
   * subscriptions re-reads the jobs its org changed since `since`. What did
   * not change sends nothing.
   */
  async resync(since: Date): Promise<void> {
    const byClaims = new Map<string, LiveSubscription[]>();
    for (const [jobId, set] of this.#byJob) {
      for (const sub of set) this.#schedule(sub.claims, jobId, [sub]);
    }
    for (const set of this.#byOrg.values()) {
      for (const sub of set) {
        const group = byClaims.get(sub.claimKey);
        if (group) group.push(sub);
        else byClaims.set(sub.claimKey, [sub]);
      }
    }
    await Promise.all(
      [...byClaims.values()].map(async (group) => {
        const claims = group[0]!.claims;
        try {
          for (const jobId of await this.reader.changedSince(claims, since)) {
            this.#schedule(claims, jobId, group);
          }
        } catch (err) {
          this.logger.warn({ err, orgId: claims.orgId }, 'subscription resync failed');
        }
      }),
    );
  }

  /** Waits for the re-reads running now (the server is stopping). */
  async drain(): Promise<void> {
    if (this.#refreshes.size === 0) return;
    await new Promise<void>((resolve) => this.#idle.add(resolve));
  }

  #schedule(claims: RequestClaims, jobId: string, subs: Iterable<LiveSubscription>): void {
    let refresh: Refresh | undefined;
    for (const sub of subs) {
      if (!refresh) {
        refresh = this.#refreshes.get(sub.claimKey);
        if (!refresh) {
          refresh = { claimKey: sub.claimKey, claims, pending: new Map(), running: false };
          this.#refreshes.set(sub.claimKey, refresh);
        }
      }
      let waiting = refresh.pending.get(jobId);
      if (!waiting) refresh.pending.set(jobId, (waiting = new Set()));
      waiting.add(sub);
    }
    if (refresh && !refresh.running) void this.#run(refresh);
  }

  async #run(refresh: Refresh): Promise<void> {
    refresh.running = true;
    try {
      while (refresh.pending.size > 0) {
        const batch = new Map<string, LiveSubscription[]>();
        for (const [jobId, waiting] of refresh.pending) {
          if (batch.size >= MAX_JOBS_PER_RE_READ) break;
          refresh.pending.delete(jobId);
          const live = [...waiting].filter((sub) => !sub.ended);
          if (live.length > 0) batch.set(jobId, live);
        }
        if (batch.size > 0) await this.#reRead(refresh.claims, batch);
      }
    } finally {
      this.#refreshes.delete(refresh.claimKey);
      if (this.#refreshes.size === 0) {
        for (const resolve of this.#idle) resolve();
        this.#idle.clear();
      }
    }
  }

  /** One transaction under `claims`: each distinct (job, document, variables) once. */
  async #reRead(claims: RequestClaims, batch: Map<string, LiveSubscription[]>): Promise<void> {
    const reads: ReadRequest[] = [];
    const readers: Array<{ jobId: string; subs: LiveSubscription[] }> = [];
    for (const [jobId, subs] of batch) {
      const indexOf = new Map<string, number>();
      for (const sub of subs) {
        const variables = sub.readVariables(jobId);
        const key = `${planNumber(sub.plan)}\n${JSON.stringify(variables)}`;
        let i = indexOf.get(key);
        if (i === undefined) {
          i =
            reads.push({
              document: sub.plan.document,
              operationName: sub.plan.operationName,
              variables,
            }) - 1;
          readers.push({ jobId, subs: [] });
          indexOf.set(key, i);
        }
        readers[i]!.subs.push(sub);
      }
    }
    this.stats.reReads++;
    this.stats.reads += reads.length;
    let results: ExecutionResult[];
    try {
      results = await this.reader.read(claims, reads);
    } catch (err) {
      const error = new GraphQLError('the re-read failed', { originalError: err as Error });
      const failed = { errors: [toClientError(error, this.logger.child({ orgId: claims.orgId }))] };
      results = reads.map(() => failed);
    }
    for (const [i, { jobId, subs }] of readers.entries()) {
      const read: JobRead = jobReadOf(results[i]!, subs[0]!.plan);
      for (const sub of subs) {
        this.stats.offers++;
        sub.offer(jobId, read);
      }
    }
  }
}

/** A number per plan, to key reads by plan without holding plans alive. */
const planNumbers = new WeakMap<JobReadPlan, number>();
let plansNumbered = 0;
function planNumber(plan: JobReadPlan): number {
  let n = planNumbers.get(plan);
  if (n === undefined) planNumbers.set(plan, (n = ++plansNumbered));
  return n;
}
