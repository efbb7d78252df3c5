/**
 * Group commit at the application level. Transitions of different jobs that
 * are ready at the same moment go to the database together, as one call of
 * `app_private.worker_transitions` (sql/migrations/000014): one statement, one
 * transaction, one durable commit. Each transition still sets its own job's
 * org as the claim and runs in its own savepoint there, so one job's error
 * never rolls back another's; each caller's promise settles only after the
 * shared commit has returned.
 *
 * A batch closes as soon as nothing else is ready: the first transition is
 * sent on the next turn of the event loop (so transitions requested in the
 * same turn share it), never after a timer. While a batch is in flight, new
 * transitions wait for it and then leave together as the next batch: that
 * wait, one commit long, is where batches come from.
 */
import type pg from 'pg';

export interface Transition {
  op: 'start' | 'stage' | 'succeed' | 'fail';
  orgId: string;
  jobId: string;
  attempt: number;
  [detail: string]: unknown;
}

interface Waiting {
  transition: Transition;
  resolve(state: unknown): void;
  reject(err: unknown): void;
}

/** What the batches so far carried and took: for the benchmark and the logs. */
export interface GroupCommitStats {
  /** Statements sent (each one transaction). */
  batches: number;
  /** Transitions they carried. */
  transitions: number;
  /** Sum of their round trips, statement sent to commit returned (ms). */
  busyMs: number;
}

/** The most transitions one statement carries: bounds its locks and its size. */
const MAX_BATCH = 64;

export class GroupCommit {
  private waiting: Waiting[] = [];
  private inFlight = 0;
  private scheduled = false;
  readonly stats: GroupCommitStats = { batches: 0, transitions: 0, busyMs: 0 };

  /**
   * @param maxInFlight batches that may be committing at once (each holds one
   *   connection); more means smaller batches and more commits.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly maxInFlight = 1,
  ) {}

  /** Resolves with the transition's state once the batch holding it has committed. */
  submit(transition: Transition): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ transition, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.send();
    });
  }

  private async send(): Promise<void> {
    if (this.inFlight >= this.maxInFlight) return;
    const batch = this.waiting.splice(0, MAX_BATCH);
    if (batch.length === 0) return;
    this.inFlight++;
    this.stats.batches++;
    this.stats.transitions += batch.length;
    const sentAt = performance.now();
    try {
      const { rows } = await this.pool.query<{ states: unknown[] }>({
        name: 'heimdex_worker_transitions',
        text: 'select app_private.worker_transitions($1::jsonb) as states',
        values: [JSON.stringify(batch.map((w) => w.transition))],
      });
      const states = rows[0]!.states;
      batch.forEach((w, i) => w.resolve(states[i]));
    } catch (err) {
      // The whole statement failed (a lost connection, a timeout): nothing
      // in it committed. Each caller decides whether to repeat its transition.
      for (const w of batch) w.reject(err);
    } finally {
      this.stats.busyMs += performance.now() - sentAt;
      this.inFlight--;
      this.schedule();
    }
  }
}
