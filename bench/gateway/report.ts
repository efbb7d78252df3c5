/** The benchmark's table: median of the rounds per server, and each server / the baseline. */
import type { RunResult } from './measure.js';
import { median } from '../median.js';

export interface Row {
  workload: string;
  server: string;
  runs: RunResult[];
}

export function summary(runs: RunResult[]): Omit<RunResult, 'failures'> & { failures: number } {
  return {
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    cpuUsPerRequest: median(runs.map((r) => r.cpuUsPerRequest)),
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    answered: runs.reduce((sum, r) => sum + r.answered, 0),
  };
}

const cell = (value: string, width: number) => value.padStart(width);
const fixed = (value: number, digits = 0) => value.toFixed(digits);

export function formatTable(rows: Row[], baseline: string): string {
  const lines = [
    `${'workload'.padEnd(20)}${'server'.padEnd(44)}${cell('req/s', 9)}${cell('p50 ms', 9)}${cell('p99 ms', 9)}${cell('CPU us/req', 12)}${cell('failed', 8)}`,
  ];
  const workloads = [...new Set(rows.map((r) => r.workload))];
  for (const workload of workloads) {
    const mine = rows.filter((r) => r.workload === workload);
    mine.forEach((row, i) => {
      const s = summary(row.runs);
      lines.push(
        `${(i === 0 ? workload : '').padEnd(20)}${row.server.padEnd(44)}${cell(fixed(s.requestsPerSecond), 9)}${cell(fixed(s.p50Ms, 1), 9)}${cell(fixed(s.p99Ms, 1), 9)}${cell(fixed(s.cpuUsPerRequest), 12)}${cell(String(s.failures), 8)}`,
      );
    });
    const base = mine.find((r) => r.server === baseline);
    for (const row of base ? mine.filter((r) => r !== base) : []) {
      const [x, y] = [summary(row.runs), summary(base!.runs)];
      lines.push(
        `${''.padEnd(20)}${`${row.server} / ${baseline}`.padEnd(44)}${cell(`${fixed(x.requestsPerSecond / y.requestsPerSecond, 2)}x`, 9)}${cell(`${fixed(x.p50Ms / y.p50Ms, 2)}x`, 9)}${cell(`${fixed(x.p99Ms / y.p99Ms, 2)}x`, 9)}${cell(`${fixed(x.cpuUsPerRequest / y.cpuUsPerRequest, 2)}x`, 12)}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Each server against `reference` round by round (both ran in the same
 * alternating round): the median and range of the per-round ratios of req/s
 * and of CPU per request, steadier than a ratio of medians taken apart.
 */
export function formatRoundRatios(rows: Row[], reference: string, servers: string[]): string {
  const lines: string[] = [];
  const span = (ratios: number[]) =>
    `${fixed(median(ratios), 2)}x [${fixed(Math.min(...ratios), 2)}-${fixed(Math.max(...ratios), 2)}]`;
  for (const workload of [...new Set(rows.map((r) => r.workload))]) {
    const base = rows.find((r) => r.workload === workload && r.server === reference);
    if (!base) continue;
    for (const row of rows.filter((r) => r.workload === workload && servers.includes(r.server))) {
      const pairs = row.runs.map((run, i) => [run, base.runs[i]!] as const);
      const rps = pairs.map(([x, y]) => x.requestsPerSecond / y.requestsPerSecond);
      const cpu = pairs.map(([x, y]) => x.cpuUsPerRequest / y.cpuUsPerRequest);
      lines.push(
        `${workload.padEnd(20)}${`${row.server} / ${reference}`.padEnd(44)} req/s ${span(rps)}  CPU us/req ${span(cpu)}`,
      );
    }
  }
  return lines.join('\n');
}
