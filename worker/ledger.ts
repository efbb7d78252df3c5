/**
 * The job ledger as a task moves it. Each transition is ONE statement: the
 * job's org set as the claim in a materialized CTE (evaluated first), then the
 * transition function (sql/migrations/000010_worker_transitions.sql), which
 * updates the job and appends its event under row-level security. One
 * statement is one transaction and one round trip; the claim lasts exactly as
 * long as that transaction.
 */
import type pg from 'pg';
import { CLAIM_SETTINGS, setLocalSettingsSql } from '../runtime/db/transactionSettings.js';
import { withReconnect } from './reconnect.js';
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
}

/** One run of one job: whose it is, and graphile-worker's attempt number (the fencing token). */
export interface JobRun {
  orgId: string;
  jobId: string;
  attempt: number;
}

export type JobErrorCode =
  'DETERMINISTIC_FAILURE' | 'DATABASE_ERROR' | 'DATABASE_UNAVAILABLE' | 'INTERNAL_ERROR';

/** One statement: the org claim set first (a materialized CTE), then the transition `call`. */
function asOrg(call: string): string {
  return `with claim as materialized (select ${setLocalSettingsSql([CLAIM_SETTINGS.orgId])})
select ${call} as state from claim`;
}

const START = asOrg('app_private.worker_start_job($2::uuid, $3::int)');
const ENTER_STAGE = asOrg(
  'app_private.worker_enter_stage($2::uuid, $3::int, $4::app_public.job_stage, $5::smallint)',
);
const SUCCEED = asOrg('app_private.worker_succeed_job($2::uuid, $3::int, $4::jsonb)');
const FAIL = asOrg('app_private.worker_fail_job($2::uuid, $3::int, $4::boolean, $5, $6)');
const RELEASE = asOrg('app_private.worker_release_job($2::uuid, $3::int, $4::bigint, $5)');

export class Ledger {
  constructor(
    private readonly pool: pg.Pool,
    private readonly reconnectTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** queued -> running at the first stage, or resume a job an earlier run left running. */
  start(run: JobRun): Promise<LedgerState> {
    return this.transition('heimdex_worker_start', START, [run.orgId, run.jobId, run.attempt]);
  }

  enterStage(run: JobRun, stage: Stage, progress: number): Promise<LedgerState> {
    return this.transition('heimdex_worker_enter_stage', ENTER_STAGE, [
      run.orgId,
      run.jobId,
      run.attempt,
      stage,
      progress,
    ]);
  }

  succeed(run: JobRun, result: object): Promise<LedgerState> {
    return this.transition('heimdex_worker_succeed', SUCCEED, [
      run.orgId,
      run.jobId,
      run.attempt,
      JSON.stringify(result),
    ]);
  }

  /** running -> queued (graphile-worker will retry) or dead_letter (it will not). */
  fail(
    run: JobRun,
    failure: { willRetry: boolean; code: JobErrorCode; message: string },
  ): Promise<LedgerState> {
    return this.transition('heimdex_worker_fail', FAIL, [
      run.orgId,
      run.jobId,
      run.attempt,
      failure.willRetry,
      failure.code,
      failure.message,
    ]);
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

  /** Runs one transition statement, repeated while the database is unreachable (each is idempotent). */
  private transition(name: string, text: string, values: unknown[]): Promise<LedgerState> {
    return withReconnect(
      async () => {
        const { rows } = await this.pool.query<{ state: LedgerState }>({ name, text, values });
        return rows[0]!.state;
      },
      {
        timeoutMs: this.reconnectTimeoutMs,
        onRetry: (err, delayMs) =>
          this.logger.warn({ err, delayMs }, 'database unreachable; repeating the transition'),
      },
    );
  }
}
