/**
 * The noisy neighbour: org A runs FLOOD_CONNECTIONS concurrent copies of a
 * heavy read (100 jobs with 20 events each: 2,100 nodes) for the whole run
 * while org B reads a job by id (W1) on B_CONNECTIONS connections. B is
 * measured alone, then under A's flood; on a gateway with the fair pool, one
 * with the plain FIFO pool (DB_POOL_FAIR=off), both with RATE_LIMIT=off so
 * that every one of A's requests reaches the pool, and one with the default
 * rate budgets, where A is mostly answered 429. CPU per request is the API
 * process's, over every request it answered (A's and B's).
 */
import autocannon from 'autocannon';
import { cpuMicros, runLoad, type RunResult } from './measure.js';
import { median } from '../median.js';
import type { SeededDatabase } from './seededDatabase.js';
import type { Workload } from './workloads.js';

export const FLOOD_CONNECTIONS = 64;
export const B_CONNECTIONS = 4;
/** Seconds A floods before B's measurement starts. */
const FLOOD_LEAD_S = 1;

export const HEAVY_READ =
  'query HeavyList { jobs(first: 100) { nodes { id events(first: 20) { nodes { nextStatus } } } } }';

const FAIR_LABEL = 'fair pool';

/** Admission by cost left as good as off: budgets no request reaches. */
const NO_ADMISSION = {
  ADMISSION_MAX_NODES: '100000000',
  ADMISSION_MAX_NODES_PER_ORG: '100000000',
};

/**
 * The gateways the workload compares, label and environment: the fair pool
 * with admission by cost (the defaults), each org's share of connections in
 * `perOrg` (the first also with rate limits on, and without admission), the
 * plain FIFO pool without admission (what nothing would give), and `extras`
 * (rate limits off, like the fair pool).
 */
export function noisyServers(
  perOrg: readonly string[],
  extras: ReadonlyArray<{ label: string; env: Record<string, string> }> = [],
): Array<{ label: string; env: Record<string, string> }> {
  const [first = '5', ...others] = perOrg;
  const fair = { RATE_LIMIT: 'off', DB_POOL_MAX_PER_ORG: first };
  return [
    { label: FAIR_LABEL, env: fair },
    { label: 'fair pool, no admission', env: { ...fair, ...NO_ADMISSION } },
    ...others.map((n) => ({
      label: `fair pool, ${n} per org`,
      env: { ...fair, DB_POOL_MAX_PER_ORG: n },
    })),
    ...extras.map(({ label, env }) => ({ label, env: { ...fair, ...env } })),
    {
      label: 'FIFO pool, no admission',
      env: { RATE_LIMIT: 'off', DB_POOL_FAIR: 'off', ...NO_ADMISSION },
    },
    { label: 'fair pool, rate limits on', env: { DB_POOL_MAX_PER_ORG: first } },
  ];
}

export interface NoisyTarget {
  label: string;
  url: string;
  pid: number;
}

export interface FloodResult {
  /** B's run while A floods. */
  b: RunResult;
  /** A's answers by HTTP status over its whole run. */
  a: { requestsPerSecond: number; byStatus: Record<string, number> };
  /** API CPU over A's run, per request answered (A's and B's). */
  cpuUsPerRequest: number;
}

export interface NoisyRound {
  alone: RunResult;
  flood: FloodResult;
}

/** Orgs A and B, and W1 as org B alone sends it. */
export function noisyOrgs(
  db: SeededDatabase,
  tokenOf: (orgId: string) => string,
): { orgA: string; orgB: string; w1: Workload } {
  const orgB = db.jobs[0]!.orgId;
  const orgA = db.orgs.find((org) => org !== orgB)!;
  const jobsOfB = db.jobs.filter((job) => job.orgId === orgB);
  const byId = 'query JobById($id: UUID!) { job(id: $id) { id status stage progress } }';
  const w1: Workload = {
    name: 'W1 job by id, org B',
    request: (n) => ({
      token: tokenOf(orgB),
      body: JSON.stringify({ query: byId, variables: { id: jobsOfB[n % jobsOfB.length]!.id } }),
    }),
    check: (data) => (data['job'] as { status?: string } | null)?.status === 'SUCCEEDED',
  };
  return { orgA, orgB, w1 };
}

/** One round on one gateway: B alone, then B while A floods. */
export async function noisyRound(
  target: NoisyTarget,
  w1: Workload,
  tokenA: string,
  durationS: number,
): Promise<NoisyRound> {
  const b = () =>
    runLoad({
      url: target.url,
      pid: target.pid,
      server: 'gateway',
      workload: w1,
      connections: B_CONNECTIONS,
      durationS,
    });
  const alone = await b();

  const cpuBefore = await cpuMicros(target.pid);
  const floodA = autocannon({
    url: `${target.url}/graphql`,
    method: 'POST',
    connections: FLOOD_CONNECTIONS,
    duration: durationS + 2 * FLOOD_LEAD_S,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenA}` },
    body: JSON.stringify({ query: HEAVY_READ }),
  });
  await new Promise((resolve) => setTimeout(resolve, FLOOD_LEAD_S * 1000));
  const underFlood = await b();
  const a = await floodA;
  const cpu = (await cpuMicros(target.pid)) - cpuBefore;
  const byStatus = Object.fromEntries(
    Object.entries(a.statusCodeStats ?? {}).map(([status, { count }]) => [status, count ?? 0]),
  );
  const answered = a['2xx'] + a.non2xx + underFlood.answered;
  return {
    alone,
    flood: {
      b: underFlood,
      a: { requestsPerSecond: a.requests.average, byStatus },
      cpuUsPerRequest: answered > 0 ? cpu / answered : 0,
    },
  };
}

const cell = (value: string, width: number) => value.padStart(width);

/** The table: per gateway, B alone and under the flood (medians of the rounds), and A's answers. */
export function formatNoisyTable(results: Array<{ label: string; rounds: NoisyRound[] }>): string {
  const header = `${'gateway'.padEnd(30)}${'B runs'.padEnd(16)}${cell('B req/s', 9)}${cell('p50 ms', 8)}${cell('p99 ms', 8)}${cell('p99 x', 7)}${cell('A req/s', 9)}${cell('A 2xx', 8)}${cell('A 429', 8)}${cell('A 400', 7)}${cell('A 503', 7)}${cell('CPU us/req', 11)}`;
  const lines = [header];
  const goal: string[] = [];
  for (const { label, rounds } of results) {
    const alone = rounds.map((r) => r.alone);
    const flooded = rounds.map((r) => r.flood);
    const p99Alone = median(alone.map((r) => r.p99Ms));
    const p99Flood = median(flooded.map((r) => r.b.p99Ms));
    const count = (status: string) =>
      flooded.reduce((sum, r) => sum + (r.a.byStatus[status] ?? 0), 0);
    lines.push(
      `${label.padEnd(30)}${'alone'.padEnd(16)}${cell(median(alone.map((r) => r.requestsPerSecond)).toFixed(0), 9)}${cell(median(alone.map((r) => r.p50Ms)).toFixed(1), 8)}${cell(p99Alone.toFixed(1), 8)}${cell('1.00', 7)}${cell('-', 9)}${cell('-', 8)}${cell('-', 8)}${cell('-', 7)}${cell('-', 7)}${cell(median(alone.map((r) => r.cpuUsPerRequest)).toFixed(0), 11)}`,
      `${''.padEnd(30)}${"under A's flood".padEnd(16)}${cell(median(flooded.map((r) => r.b.requestsPerSecond)).toFixed(0), 9)}${cell(median(flooded.map((r) => r.b.p50Ms)).toFixed(1), 8)}${cell(p99Flood.toFixed(1), 8)}${cell((p99Flood / p99Alone).toFixed(2), 7)}${cell(median(flooded.map((r) => r.a.requestsPerSecond)).toFixed(0), 9)}${cell(String(flooded.reduce((sum, r) => sum + succeeded(r.a.byStatus), 0)), 8)}${cell(String(count('429')), 8)}${cell(String(count('400')), 7)}${cell(String(count('503')), 7)}${cell(median(flooded.map((r) => r.cpuUsPerRequest)).toFixed(0), 11)}`,
    );
    const failedB = [...alone, ...flooded.map((r) => r.b)].reduce((sum, r) => sum + r.failures, 0);
    if (failedB > 0) lines.push(`${''.padEnd(30)}B's requests that failed: ${failedB}`);
    if (label === FAIR_LABEL) {
      const ratio = p99Flood / p99Alone;
      goal.push(
        `Goal (fair pool): B's p99 under the flood within 3x of alone: ${ratio <= 3 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x).`,
      );
    }
  }
  return [...lines, '', ...goal].join('\n');
}

/** Answers with a 2xx status. */
function succeeded(byStatus: Record<string, number>): number {
  return Object.entries(byStatus)
    .filter(([status]) => status.startsWith('2'))
    .reduce((sum, [, count]) => sum + count, 0);
}
