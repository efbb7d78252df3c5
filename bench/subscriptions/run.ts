/**
 * `npm run bench:subscriptions`: live-progress fan-out under load.
 *
 * SOCKETS sockets over ORGS orgs, each subscribed to `jobsUpdated { id
 * status stage }`, against the API in a process of its own; a real worker
 * (`dist/worker/main.js`) runs the jobs; the benchmark creates jobs at a
 * steady rate across the orgs with the API's own createJob
 * (dev/memberJobs.ts: the job, its first ledger row and its audit row in a
 * member's request transaction), so that RATE ledger
 * transitions per second commit (five per job). Each contender differs only
 * in how many users share each org's sockets, that is how many distinct
 * claim sets the fan-out has to re-read for (USERS=SOCKETS/ORGS is one
 * claim set per socket: what per-subscriber authorisation costs). Contenders
 * alternate within each round.
 *
 * Reported per contender (medians over rounds, with their range):
 * - delivery latency, p50 and p99: from the transition's ledger row (its
 *   `ts`, taken before its commit) to a client holding the re-read job;
 * - updates delivered per second, and the share of transitions a socket saw
 *   (a lower share: transitions coalesced into the next re-read);
 * - re-reads per event: the fan-out's transactions per notification (each
 *   under one claim set), and the reads (job x document) in them;
 * - API CPU per transition and in all (share of one core);
 * - API memory per idle socket (RSS and heap, after a full GC, subscribed).
 *
 * Options: --sockets 1000 --orgs 50 --rate 100 --seconds 15 --rounds 1
 * --users 1,5,20 --stage-ms 100.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { projectRoot } from '../../runtime/paths.js';
import { childEnv, startChild } from '../../runtime/process/childProcess.js';
import { runMain } from '../../runtime/process/runMain.js';
import { signDevToken } from '../../server/auth/devToken.js';
import { createJob } from '../../dev/memberJobs.js';
import { benchDatabase, type BenchDatabase } from '../benchDatabase.js';
import { loadBenchSettings } from '../benchSettings.js';
import { median } from '../median.js';
import type { ApiMessage, ApiSample } from './apiProcess.js';
import { SocketFleet, type Receipt } from './socketFleet.js';

const TRANSITIONS_PER_JOB = 5;
const WARMUP_S = 3;
/** After the last job is created, how long its transitions may take to arrive. */
const DRAIN_S = 3;
const QUERY = 'subscription { jobsUpdated { id status stage } }';

const say = (line: string) => process.stdout.write(`${line}\n`);

interface Api {
  url: string;
  sample(): Promise<ApiSample>;
  stop(): Promise<void>;
}

async function startApi(db: BenchDatabase, secret: string): Promise<Api> {
  const child: ChildProcess = fork(
    path.join(projectRoot, 'dist/bench/subscriptions/apiProcess.js'),
    {
      execArgv: ['--expose-gc'],
      env: childEnv({
        HEIMDEX_ENV: 'local',
        DEV_JWT_SECRET: secret,
        DATABASE_URL: db.urls.admin,
        LOG_LEVEL: 'warn',
        DB_POOL_MAX: '10',
        GRAPHILE_ENV: 'production',
        // One user may hold every socket of its org in the one-claim-set contender.
        WS_MAX_SOCKETS_PER_USER: '100000',
      }),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = (type: ApiMessage['type']) =>
    new Promise<ApiMessage>((resolve, reject) => {
      const onMessage = (message: ApiMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`the API exited (${code})`)));
    });
  const listening = (await next('listening')) as Extract<ApiMessage, { type: 'listening' }>;
  return {
    url: `http://127.0.0.1:${listening.port}/graphql`,
    async sample() {
      const reply = next('sample');
      child.send({ type: 'sample' });
      return ((await reply) as Extract<ApiMessage, { type: 'sample' }>).sample;
    },
    async stop() {
      child.send({ type: 'stop' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Creates jobs at `jobsPerS` round-robin over `orgs` for `seconds`; resolves their ids. */
async function createJobsSteadily(
  pool: pg.Pool,
  orgs: string[],
  jobsPerS: number,
  seconds: number,
): Promise<string[]> {
  const started = performance.now();
  const total = Math.round(jobsPerS * seconds);
  const created: Array<Promise<string>> = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / jobsPerS;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    created.push(createJob(pool, orgs[n % orgs.length]!));
  }
  return Promise.all(created);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Result {
  users: number;
  p50Ms: number;
  p99Ms: number;
  deliveredPerS: number;
  seenShare: number;
  reReadsPerEvent: number;
  readsPerEvent: number;
  cpuMsPerTransition: number;
  cpuShare: number;
  rssKbPerSocket: number;
  heapKbPerSocket: number;
}

/** When each transition's ledger row was written, by job, status and stage. */
async function ledgerTimes(admin: pg.Pool, jobIds: string[]): Promise<Map<string, number>> {
  const { rows } = await admin.query<{ key: string; ms: number }>(
    `select job_id || '|' || upper(next_status::text) || '|' || coalesce(upper(stage::text), '') as key,
            extract(epoch from ts) * 1000 as ms
       from app_public.job_events where job_id = any($1::uuid[])`,
    [jobIds],
  );
  return new Map(rows.map((r) => [r.key, Number(r.ms)]));
}

async function runContender(
  db: BenchDatabase,
  admin: pg.Pool,
  creator: pg.Pool,
  options: { sockets: number; orgs: string[]; users: number; rate: number; seconds: number },
  secret: string,
): Promise<Result> {
  const { sockets, orgs, users, rate, seconds } = options;
  const api = await startApi(db, secret);
  try {
    const base = await api.sample();
    const tokens: string[] = [];
    for (let i = 0; i < sockets; i++) {
      const orgId = orgs[i % orgs.length]!;
      const user = Math.floor(i / orgs.length) % users;
      tokens.push(
        await signDevToken(secret, { orgId, sub: `bench-user-${user}`, role: 'viewer' }, '2h'),
      );
    }
    const fleet = await SocketFleet.open(api.url, tokens, QUERY);
    let idle = await api.sample();
    for (let tries = 0; idle.subscriptions < sockets && tries < 100; tries++) {
      await sleep(100);
      idle = await api.sample();
    }
    if (idle.subscriptions < sockets) throw new Error(`only ${idle.subscriptions} subscriptions`);
    const jobsPerS = rate / TRANSITIONS_PER_JOB;
    await createJobsSteadily(creator, orgs, jobsPerS, WARMUP_S);
    await sleep(1000);

    const start = await api.sample();
    const startedAt = performance.now();
    fleet.recording = true;
    const jobs = await createJobsSteadily(creator, orgs, jobsPerS, seconds);
    await sleep(DRAIN_S * 1000);
    fleet.recording = false;
    const end = await api.sample();
    const wallMs = performance.now() - startedAt;

    const times = await ledgerTimes(admin, jobs);
    const ours = new Set(jobs);
    const latencies: number[] = [];
    const counted = fleet.receipts.filter((r: Receipt) => ours.has(r.job.id));
    for (const { job, receivedAtMs } of counted) {
      const committed = times.get(`${job.id}|${job.status}|${job.stage ?? ''}`);
      if (committed !== undefined) latencies.push(receivedAtMs - committed);
    }
    latencies.sort((a, b) => a - b);
    const socketsPerOrg = sockets / orgs.length;
    const transitions = times.size;
    const notifications = end.notifications - start.notifications;
    const cpuMs = end.cpuMs - start.cpuMs;
    await fleet.close();
    return {
      users,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      deliveredPerS: (counted.length * 1000) / wallMs,
      seenShare: counted.length / (transitions * socketsPerOrg),
      reReadsPerEvent: (end.reReads - start.reReads) / notifications,
      readsPerEvent: (end.reads - start.reads) / notifications,
      cpuMsPerTransition: cpuMs / notifications,
      cpuShare: cpuMs / wallMs,
      rssKbPerSocket: (idle.rssBytes - base.rssBytes) / 1024 / sockets,
      heapKbPerSocket: (idle.heapUsedBytes - base.heapUsedBytes) / 1024 / sockets,
    };
  } finally {
    await api.stop();
  }
}

const fmt = (values: number[], digits: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const m = median(sorted).toFixed(digits);
  return sorted.length > 1
    ? `${m} (${sorted[0]!.toFixed(digits)}-${sorted.at(-1)!.toFixed(digits)})`
    : m;
};

await runMain('bench', async ({ onShutdown }) => {
  const { values } = parseArgs({
    options: {
      sockets: { type: 'string', default: '1000' },
      orgs: { type: 'string', default: '50' },
      rate: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '15' },
      rounds: { type: 'string', default: '1' },
      users: { type: 'string', default: '1,5,20' },
      'stage-ms': { type: 'string', default: '100' },
    },
  });
  const sockets = Number(values.sockets);
  const orgCount = Number(values.orgs);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const userCounts = values.users.split(',').map(Number);
  // Local mode with a dev secret of this run's own, given to the API it starts.
  const config = loadConfig(
    childEnv({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: randomBytes(32).toString('base64url') }),
  );
  if (config.auth.provider !== 'dev') throw new Error('the benchmark runs in local mode');
  const secret = config.auth.secret;
  const logger = createLogger({ ...config, logLevel: 'warn', service: 'heimdex-bench' });

  const db = await benchDatabase(loadBenchSettings().databaseUrl, logger);
  const admin = new pg.Pool({ connectionString: db.urls.admin, max: 2 });
  const creator = new pg.Pool({ connectionString: db.urls.api, max: 4 });
  const worker = startChild(
    { name: 'worker', script: 'dist/worker/main.js' },
    childEnv({
      HEIMDEX_ENV: 'local',
      DEV_JWT_SECRET: secret,
      DATABASE_URL: db.urls.admin,
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: '32',
      JOB_STAGE_DURATION_MS: values['stage-ms'],
      WORKER_POLL_INTERVAL_MS: '500',
    }),
    logger,
  );
  let cleaned: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaned ??= (async () => {
      await worker.stop(10_000);
      await Promise.all([admin.end(), creator.end()]);
      await db.drop();
    })());
  onShutdown(cleanUp);

  const orgs = Array.from({ length: orgCount }, () => randomUUID());
  say(
    `# ${sockets} sockets over ${orgCount} orgs on jobsUpdated; ${rate} transitions/s for ${seconds} s; ` +
      `PostgreSQL ${db.serverVersion}; load average before ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const results = new Map<number, Result[]>(userCounts.map((u) => [u, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? userCounts : [...userCounts].reverse();
    for (const users of order) {
      const result = await runContender(
        db,
        admin,
        creator,
        { sockets, orgs: orgs, users, rate, seconds },
        secret,
      );
      results.get(users)!.push(result);
      say(`# round ${round + 1}, ${users} user(s) per org: ${JSON.stringify(result)}`);
    }
  }
  say(
    '| users per org (claim sets) | p50 ms | p99 ms | updates/s | transitions seen | re-read transactions per event | reads per event | API CPU ms per transition | API CPU (cores) | RSS KB per idle socket | heap KB per idle socket |',
  );
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [users, rs] of results) {
    const col = (f: (r: Result) => number, d: number) => fmt(rs.map(f), d);
    say(
      `| ${users} | ${col((r) => r.p50Ms, 1)} | ${col((r) => r.p99Ms, 1)} | ${col((r) => r.deliveredPerS, 0)} | ` +
        `${col((r) => r.seenShare * 100, 1)}% | ${col((r) => r.reReadsPerEvent, 2)} | ${col((r) => r.readsPerEvent, 2)} | ${col((r) => r.cpuMsPerTransition, 2)} | ` +
        `${col((r) => r.cpuShare, 2)} | ${col((r) => r.rssKbPerSocket, 1)} | ${col((r) => r.heapKbPerSocket, 1)} |`,
    );
  }
  say(
    `# load average after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  await cleanUp();
});
