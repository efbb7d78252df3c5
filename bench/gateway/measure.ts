/**
 * One load run with autocannon against one server, with the server
 * process's CPU time per request (from /proc: steadier than req/s on a
 * small, shared machine).
 */
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import type { ServerKind, Workload } from './workloads.js';

export interface RunResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerRequest: number;
  failures: number;
  /** Responses received, whatever their status. */
  answered: number;
}

/** User + system CPU time of a process, in microseconds (Linux clock ticks are 10 ms). */
export async function cpuMicros(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

export async function runLoad(options: {
  url: string;
  pid: number;
  server: ServerKind;
  workload: Workload;
  connections: number;
  durationS: number;
}): Promise<RunResult> {
  let n = 0;
  const cpuBefore = await cpuMicros(options.pid);
  const result = await autocannon({
    url: `${options.url}/graphql`,
    connections: options.connections,
    duration: options.durationS,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const { token, body } = options.workload.request(n++, options.server);
          return {
            ...request,
            body,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          };
        },
      },
    ],
  });
  const cpu = (await cpuMicros(options.pid)) - cpuBefore;
  const total = result['2xx'] + result.non2xx;
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuUsPerRequest: total > 0 ? cpu / total : 0,
    failures: result.non2xx + result.errors,
    answered: total,
  };
}
