/**
 * Turns the work of a ledger job into a graphile-worker task, and keeps the
 * ledger and the queue agreeing on every way a run can end:
 *
 * | the run ...                       | ledger                   | queue job (graphile-worker)  |
 * | --------------------------------- | ------------------------ | ---------------------------- |
 * | finishes                          | succeeded                | completed (deleted)          |
 * | fails, attempts left              | queued, error recorded   | failed, retried with backoff |
 * | fails on its last attempt         | dead_letter              | failed for good              |
 * | sees the job canceled             | (canceled by the caller) | completed                    |
 * | is interrupted by a shutdown      | queued, attempt returned | failed, attempt returned     |
 * | finds no ledger row / bad payload | untouched                | failed for good              |
 * | finds a newer run owns the job    | untouched                | failed (no-op if not locked) |
 *
 * A redelivered job whose ledger row is already terminal completes as a no-op.
 */
import type { JobHelpers } from 'graphile-worker';
import pg from 'pg';
import { DatabaseUnavailableError } from '../runtime/errors/HeimdexError.js';
import { isUuid } from '../runtime/uuid.js';
import { queueJobOf, stopRetrying, type QueueJob } from './queueJob.js';
import { TransitionFailed } from './ledger.js';
import type { JobErrorCode, JobRun, Ledger, LedgerState, Stage } from './ledger.js';
import type { Logger } from '../runtime/logger.js';
import type { WorkerMetrics } from './workerMetrics.js';
import type { Tracer } from '@opentelemetry/api';
import { JobTrace, type RunEnding } from './jobTrace.js';

/** A failure the work itself decides on, with the code and message the ledger records. */
export class StageFailure extends Error {
  override readonly name = 'StageFailure';
  constructor(
    readonly code: JobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type StopReason = 'canceled' | 'superseded' | 'missing';

/** The ledger says this run must not go on. */
class RunStopped extends Error {
  override readonly name = 'RunStopped';
  constructor(
    readonly reason: StopReason,
    message: string,
  ) {
    super(message);
  }
}

export interface RunContext {
  run: JobRun;
  /** The ledger when the run began: the stage to start (or resume) from, fail_at_stage. */
  begun: LedgerState;
  signal: AbortSignal;
  logger: Logger;
  enterStage(stage: Stage, progress: number): Promise<void>;
  succeed(result: object): Promise<void>;
}

export interface LedgerTaskDeps {
  pool: pg.Pool;
  ledger: Ledger;
  logger: Logger;
  /** Prometheus metrics (worker/workerMetrics.ts); none without a metrics port. */
  metrics?: WorkerMetrics | undefined;
  /** Set only when tracing is on: each run is spans of its job's trace (worker/jobTrace.ts). */
  tracer?: Tracer | undefined;
}

function runOf(payload: unknown, queueJob: QueueJob): JobRun | null {
  const { jobId, orgId } = (payload ?? {}) as Record<string, unknown>;
  if (!isUuid(jobId) || !isUuid(orgId)) return null;
  return { jobId, orgId, attempt: queueJob.attempts };
}

function checked(state: LedgerState, action: string): LedgerState {
  switch (state.outcome) {
    case 'ok':
    case 'resumed':
    case 'finished':
      return state;
    case 'canceled':
      throw new RunStopped('canceled', `the job was canceled; stopped before ${action}`);
    case 'superseded':
      throw new RunStopped('superseded', `a newer run owns the job; stopped before ${action}`);
    case 'missing':
      throw new RunStopped('missing', `no such job in the claimed org (${action})`);
  }
}

/** The message a tenant may read in last_error_message: no internal detail. */
function failureOf(err: unknown, stage: Stage | null): { code: JobErrorCode; message: string } {
  const where = stage ? `stage ${stage}` : 'the start of the run';
  if (err instanceof StageFailure) return { code: err.code, message: err.message };
  if (err instanceof DatabaseUnavailableError) {
    return { code: 'DATABASE_UNAVAILABLE', message: `The database was unreachable at ${where}` };
  }
  if (err instanceof pg.DatabaseError || err instanceof TransitionFailed) {
    return { code: 'DATABASE_ERROR', message: `A database error (${err.code}) stopped ${where}` };
  }
  return { code: 'INTERNAL_ERROR', message: `An internal error stopped ${where}` };
}

export function ledgerTask(
  deps: LedgerTaskDeps,
  work: (ctx: RunContext) => Promise<void>,
): (payload: unknown, helpers: JobHelpers) => Promise<void> {
  const { ledger, pool, metrics } = deps;
  return async (payload, helpers) => {
    const queueJob = queueJobOf(helpers.job);
    const type = helpers.job.task_identifier;
    const given = runOf(payload, queueJob);
    if (!given) {
      deps.logger.error(
        { queueJobId: queueJob.id, payload },
        'job payload has no valid jobId/orgId; failing it for good without running it',
      );
      await stopRetrying(pool, queueJob);
      throw new Error('invalid payload: expected {jobId, orgId} as UUIDs; not retried');
    }
    // Both change if a higher-priority job of the org takes this turn.
    let run: JobRun = given;
    let logger = deps.logger.child({ jobId: run.jobId, orgId: run.orgId, attempt: run.attempt });
    let stage: Stage | null = null;
    let stageStartedAt = performance.now();
    /** The current stage ends (for its duration histogram). */
    const endStage = (): void => {
      if (stage !== null)
        metrics?.stageDone(type, stage, (performance.now() - stageStartedAt) / 1000, 'succeeded');
      stageStartedAt = performance.now();
    };
    let jobTrace: JobTrace | undefined;
    let ending: RunEnding = { status: 'succeeded' };

    const settle = async (err: unknown): Promise<void> => {
      if (err instanceof RunStopped) {
        ending = { status: err.reason };
        switch (err.reason) {
          case 'canceled':
            logger.info({ stage }, 'job canceled; stopped with no further events');
            return;
          case 'superseded':
            logger.warn({ stage }, err.message);
            throw err;
          case 'missing':
            logger.error(
              { queueJobId: queueJob.id },
              'no ledger row for this job in its org (or no such org); failing it for good, nothing ran',
            );
            await stopRetrying(pool, queueJob);
            throw err;
        }
      }
      if (helpers.abortSignal.aborted) {
        ending = { status: 'released' };
        const released = await ledger.release(run, queueJob);
        if (released.outcome === 'canceled') return;
        logger.info({ stage, outcome: released.outcome }, 'worker shutting down; job released');
        throw new Error('interrupted by worker shutdown; released to run again', { cause: err });
      }
      const failure = failureOf(err, stage);
      // The failed stage's time runs to the error, not past the write that records it.
      const failedAfterMs = performance.now() - stageStartedAt;
      const willRetry = queueJob.attempts < queueJob.maxAttempts;
      ending = { status: willRetry ? 'queued' : 'dead_letter', code: failure.code };
      const fail = () => ledger.fail(run, { willRetry, ...failure });
      const recorded = await (jobTrace
        ? jobTrace.transition('job fail', fail, failure.code)
        : fail());
      if (recorded.outcome === 'canceled') {
        ending = { status: 'canceled' };
        return;
      }
      metrics?.jobFailed(type, !willRetry);
      if (stage !== null) metrics?.stageDone(type, stage, failedAfterMs / 1000, 'failed');
      logger.warn(
        { err, stage, code: failure.code, willRetry, outcome: recorded.outcome },
        willRetry
          ? 'attempt failed; graphile-worker retries it'
          : 'last attempt failed; dead letter',
      );
      throw new Error(failure.message, { cause: err });
    };

    try {
      const startTime = Date.now();
      const started = await ledger.start(run, queueJob.id);
      if (deps.tracer) {
        jobTrace = new JobTrace(deps.tracer, type, run, queueJob.id, started, startTime);
      }
      const begun = checked(started, 'starting');
      if (begun.jobId && begun.jobId !== run.jobId) {
        // The org's job of higher priority took this turn (and this queue job).
        logger.info(
          { startedJobId: begun.jobId },
          'a higher-priority job of the org takes this turn',
        );
        run = { ...run, jobId: begun.jobId };
        queueJob.maxAttempts = begun.maxAttempts ?? queueJob.maxAttempts;
        logger = deps.logger.child({ jobId: run.jobId, orgId: run.orgId, attempt: run.attempt });
      }
      if (begun.outcome === 'finished') {
        ending = { status: begun.status ?? 'finished' };
        logger.info({ status: begun.status }, 'job already finished; redelivery is a no-op');
        return;
      }
      if (begun.outcome === 'resumed') {
        logger.warn({ stage: begun.stage }, 'resuming a job an earlier run left running');
      }
      stage = begun.stage ?? null;
      metrics?.jobStarted(type);
      stageStartedAt = performance.now();
      if (stage) jobTrace?.stage(stage);
      await work({
        run,
        begun,
        signal: helpers.abortSignal,
        logger,
        async enterStage(next, progress) {
          checked(await ledger.enterStage(run, next, progress), `stage ${next}`);
          endStage();
          stage = next;
          jobTrace?.stage(next);
        },
        async succeed(result) {
          const succeed = () => ledger.succeed(run, result);
          checked(
            await (jobTrace ? jobTrace.transition('job succeed', succeed) : succeed()),
            'succeeding',
          );
          endStage();
          metrics?.jobSucceeded(type);
        },
      });
    } catch (err) {
      await settle(err);
    } finally {
      jobTrace?.end(ending);
    }
  };
}
