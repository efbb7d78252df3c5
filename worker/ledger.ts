/**
 * The job ledger as a task moves it. Each transition is one call of a
 * transition function (sql/migrations/000010_worker_transitions.sql), which
 * updates the job and appends its event under row-level security with the
 * job's org set as the claim just before it. Transitions of different jobs
 * that are ready together share one statement, one transaction and one
 * durable commit (worker/groupCommit.ts); each has its own savepoint there,
 * and the claim lasts no longer than the transaction.
 */
import type pg from 'pg';
import { CLAIM_SETTINGS, setLocalSettingsSql } from '../runtime/db/transactionSettings.js';
import { withReconnect } from './reconnect.js';
import { GroupCommit, type GroupCommitStats, type Transition } from './groupCommit.js';
import type { Logger } from '../runtime/logger.js';

export const STAGES = ['extracting', 'analyzing', 'indexing'] as const;
export type Stage = (typeof STAGES)[number];

export type Outcome = 'ok' | 'resumed' | 'finished' | 'canceled' | 'superseded' | 'missing';

export interface LedgerState {
  outcome: Outcome;
  status?: string;
  stage?: Stage | null;
  progress?: number;
  failAtStage?: Stage | null;
  /** (start only) Set when a higher-priority job of the org took this turn: the job started. */
  jobId?: string;
  /** (start only) With jobId: that job's max_attempts. */
  maxAttempts?: number;
  /** The W3C traceparent of the request that created the job, if it was traced (000020). */
  traceparent?: string | null;
}

/** One run of one job: whose it is, and graphile-worker's attempt number (the fencing token). */
export interface JobRun {
  orgId: string;
  jobId: string;
  attempt: number;
}

export type JobErrorCode =
  'DETERMINISTIC_FAILURE' | 'DATABASE_ERROR' | 'DATABASE_UNAVAILABLE' | 'INTERNAL_ERROR';

/**
 * The one transition that is not group-committed (it locks the queue job
 * first; see release): one statement, the org claim set first in a
 * materialized CTE.
 */
const RELEASE = `with claim as materialized (select ${setLocalSettingsSql([CLAIM_SETTINGS.orgId])})
select app_private.worker_release_job($2::uuid, $3::int, $4::bigint, $5) as state from claim`;

/**
 * A transition that failed inside its batch: rolled back to its own
 * savepoint, while the other jobs' transitions in the batch committed.
 */
export class TransitionFailed extends Error {
  override readonly name = 'TransitionFailed';
  constructor(
    /** The SQLSTATE the transition raised. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type BatchedState = LedgerState | { outcome: 'error'; sqlstate: string; message: string };

export class Ledger {
  private readonly commits: GroupCommit;

  constructor(
    private readonly pool: pg.Pool,
    private readonly reconnectTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    this.commits = new GroupCommit(pool);
  }

  /** The group-committed batches so far (counts only grow). */
  get batches(): Readonly<GroupCommitStats> {
    return this.commits.stats;
  }

  /**
   * queued -> running at the first stage, or resume a job an earlier run left
   * running. Given the queue job, the org's queued job of higher priority, if
   * any, takes the turn instead (the state then names it).
   */
  start(run: JobRun, queueJobId?: string): Promise<LedgerState> {
    return this.transition({ op: 'start', ...run, ...(queueJobId && { queueJobId }) });
  }

  enterStage(run: JobRun, stage: Stage, progress: number): Promise<LedgerState> {
    return this.transition({ op: 'stage', ...run, stage, progress });
  }

  succeed(run: JobRun, result: object): Promise<LedgerState> {
    return this.transition({ op: 'succeed', ...run, result });
  }

  /** running -> queued (graphile-worker will retry) or dead_letter (it will not). */
  fail(
    run: JobRun,
    failure: { willRetry: boolean; code: JobErrorCode; message: string },
  ): Promise<LedgerState> {
    return this.transition({ op: 'fail', ...run, ...failure });
  }

  /**
   * A shutting-down worker gives the job back: queued again, the queue job's
   * attempt returned. Not repeated on a lost connection: the job then stays
   * running under this pool's lock, and crash recovery resumes it.
   */
  async release(run: JobRun, queueJob: { id: string; lockedBy: string }): Promise<LedgerState> {
    const { rows } = await this.pool.query<{ state: LedgerState }>({
      name: 'heimdex_worker_release',
      text: RELEASE,
      values: [run.orgId, run.jobId, run.attempt, queueJob.id, queueJob.lockedBy],
    });
    return rows[0]!.state;
  }

  /** One transition, committed with whatever other jobs' transitions are ready with it. */
  private transition(transition: Transition): Promise<LedgerState> {
    return withReconnect(
      async () => {
        const state = (await this.commits.submit(transition)) as BatchedState;
        if (state.outcome === 'error') throw new TransitionFailed(state.sqlstate, state.message);
        return state;
      },
      {
        timeoutMs: this.reconnectTimeoutMs,
        onRetry: (err, delayMs) =>
          this.logger.warn({ err, delayMs }, 'database unreachable; repeating the transition'),
      },
    );
  }
}
