/**
 * Throughput of a worker draining a queue that is already full: from the
 * first task start to the last task completion, as graphile-worker reports
 * them through its events.
 */
import { performance } from 'node:perf_hooks';
import type { WorkerEvents } from 'graphile-worker';

export interface Drain {
  done: Promise<{ jobs: number; seconds: number; jobsPerSecond: number; failed: number }>;
}

export function measureDrain(events: WorkerEvents, jobs: number): Drain {
  let first: number | undefined;
  let completed = 0;
  let failed = 0;
  const done = new Promise<{
    jobs: number;
    seconds: number;
    jobsPerSecond: number;
    failed: number;
  }>((resolve) => {
    events.on('job:start', () => {
      first ??= performance.now();
    });
    events.on('job:complete', ({ error }) => {
      if (error) failed++;
      if (++completed === jobs) {
        const seconds = (performance.now() - (first ?? 0)) / 1000;
        resolve({ jobs, seconds, jobsPerSecond: jobs / seconds, failed });
      }
    });
  });
  return { done };
}
