/**
 * `mock_process`: three stages of simulated work. Progress is 0 at the start,
 * 33 once extracting is done, 83 once analyzing is done and 100 at the end. A
 * job with `fail_at_stage` fails at that stage on every attempt.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Task } from 'graphile-worker';
import { STAGES, type Stage } from '../ledger.js';
import { ledgerTask, StageFailure, type LedgerTaskDeps } from '../ledgerTask.js';

declare global {
  namespace GraphileWorker {
    interface Tasks {
      /** Enqueued by the ledger's insert trigger (sql/migrations/000005_job_queue.sql). */
      mock_process: { jobId: string; orgId: string };
    }
  }
}

/** Progress recorded when each stage begins. */
const PROGRESS_AT: Record<Stage, number> = { extracting: 0, analyzing: 33, indexing: 83 };

export function mockProcess(
  deps: LedgerTaskDeps & { stageDurationMs: number },
): Task<'mock_process'> {
  return ledgerTask(deps, async ({ begun, signal, enterStage, succeed }) => {
    const startedAt = performance.now();
    const first = STAGES.indexOf(begun.stage ?? 'extracting');
    for (let i = first; i < STAGES.length; i++) {
      const stage = STAGES[i]!;
      if (i > first) await enterStage(stage, PROGRESS_AT[stage]);
      signal.throwIfAborted();
      if (deps.stageDurationMs > 0) await sleep(deps.stageDurationMs, undefined, { signal });
      if (begun.failAtStage === stage) {
        throw new StageFailure(
          'DETERMINISTIC_FAILURE',
          `Deterministic failure at stage ${stage}: fail_at_stage is set, so every attempt fails here`,
        );
      }
    }
    await succeed({
      stagesCompleted: [...STAGES],
      totalDurationMs: Math.round(performance.now() - startedAt),
      completedAt: new Date().toISOString(),
    });
  });
}
