/**
 * A worker draining a queue that is already full: wall time from the first
 * task start to the last task end (as graphile-worker's events report them),
 * and the CPU this process and the database server spent meanwhile.
 */
import { performance } from 'node:perf_hooks';
import type { WorkerEvents } from 'graphile-worker';
import { startCpuMeter, type CpuMeter } from './cpu.js';

export interface DrainResult {
  jobs: number;
  jobsPerSecond: number;
  failed: number;
  /** CPU per job in microseconds: this process, and the server when measurable. */
  processUsPerJob: number;
  serverUsPerJob: number | undefined;
}

export function measureDrain(
  events: WorkerEvents,
  jobs: number,
  postmaster: number | undefined,
): Promise<DrainResult> {
  let first: number | undefined;
  let meter: CpuMeter | undefined;
  let completed = 0;
  let failed = 0;
  return new Promise((resolve) => {
    events.on('job:start', () => {
      first ??= performance.now();
      meter ??= startCpuMeter(postmaster);
    });
    events.on('job:complete', ({ error }) => {
      if (error) failed++;
      if (++completed !== jobs) return;
      const seconds = (performance.now() - first!) / 1000;
      const cpu = meter!.stop();
      resolve({
        jobs,
        jobsPerSecond: jobs / seconds,
        failed,
        processUsPerJob: (cpu.processMs * 1000) / jobs,
        serverUsPerJob: cpu.serverMs === undefined ? undefined : (cpu.serverMs * 1000) / jobs,
      });
    });
  });
}
