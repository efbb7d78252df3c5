/**
 * `npm run bench`: the gateway against PostGraphile v5 standalone (same
 * preset, same token verification), on the same database and data
 * (ORGS x JOBS_PER_ORG jobs), with autocannon, servers measured alternately
 * round after round. Prints req/s, p50/p99 latency and server CPU per
 * request for W1 (job by id), W2 (20 newest jobs) and W3 (createJob), and
 * the ratio gateway / PostGraphile.
 *
 * With --pooler it compares the gateway with itself instead: direct (named
 * statements), direct with DB_POOLER=transaction (unnamed statements: their
 * cost alone), and through a real PgBouncer in transaction mode with as many
 * server connections as the gateway's pool (the extra hop on top).
 *
 * Then the noisy neighbour (noisyNeighbour.ts): org A floods with a heavy
 * read while org B reads by id; B alone and under the flood, on the fair
 * pool, on the plain FIFO pool, and with rate limits on.
 *
 * --extra "label:NAME=value,..." adds a gateway with those settings to W1-W3 (repeatable),
 * e.g. --extra "rate limits off:RATE_LIMIT=off"; each is also compared with the gateway round by
 * round (the ratio in each round, median and range). --only W1,W2 measures those workloads alone;
 * --without-cache-off leaves out the gateway with its token cache off; --warmup <s> (2) of load
 * per server before a workload's rounds (JIT and pools warm: longer steadies close comparisons).
 *
 * With --replica it measures W2 (20 newest jobs) on the gateway against a
 * primary alone and against the same primary with a streaming replica
 * (READ_DATABASE_URL): a primary and a `pg_basebackup -R` replica of its own
 * (dev/streamingReplica.ts), both on this machine, so the replica adds no
 * cores here; the figure is the cost of routing, probing the replica and the
 * replica's own speed, not the capacity a replica on its own machine adds.
 *
 * Options: --duration <s> per run (5), --rounds <n> (3), --connections <n> (16), --pooler,
 * --replica, --workload all | standard | noisy (all: W1-W3, then the noisy neighbour;
 * --pooler: W1-W3 only; --replica: W2 only),
 * --per-org <n,...>: DB_POOL_MAX_PER_ORG of the noisy neighbour's fair gateways (default: half
 * the pool); several values add one fair gateway (rate limits off) per value after the first.
 * --noisy-extra "label:NAME=value,...": one more gateway in the noisy neighbour (rate limits off,
 * settings of the fair pool plus these), e.g. "4,000 per org:ADMISSION_MAX_NODES_PER_ORG=4000".
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { signDevToken } from '../../server/auth/devToken.js';
import { childEnv, startChild, type RunningChild } from '../../runtime/process/childProcess.js';
import { runMain } from '../../runtime/process/runMain.js';
import { freePort } from '../../dev/freePort.js';
import { startPgBouncer } from '../../dev/pgBouncer.js';
import { startReplicatedPostgres } from '../../dev/streamingReplica.js';
import { deriveLocalRoleUrls, withDatabase } from '../../runtime/db/roleUrls.js';
import { createSeededDatabase, JOBS_PER_ORG, ORGS } from './seededDatabase.js';
import { runLoad } from './measure.js';
import { formatRoundRatios, formatTable, type Row } from './report.js';
import { workloads, type ServerKind, type Workload } from './workloads.js';
import {
  B_CONNECTIONS,
  FLOOD_CONNECTIONS,
  formatNoisyTable,
  HEAVY_READ,
  noisyOrgs,
  noisyServers,
  noisyRound,
  type NoisyRound,
} from './noisyNeighbour.js';

/** Seconds of load each server gets before a workload's rounds (--warmup). */
const WARMUP_S = 2;

interface Server {
  label: string;
  kind: ServerKind;
  url: string;
  child: RunningChild;
  /** Only read workloads run against it. */
  readsOnly: boolean;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

async function answer(
  server: Server,
  workload: Workload,
  n: number,
): Promise<Record<string, unknown>> {
  const { token, body } = workload.request(n, server.kind);
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body,
  });
  const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (!json.data || json.errors) throw new Error(`${server.label}: ${JSON.stringify(json)}`);
  return json.data;
}

/** Waits until the server answers, then checks it answers every workload correctly. */
async function ready(server: Server, all: Workload[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await answer(server, all[1]!, 0);
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  for (const workload of all) {
    if (server.readsOnly && workload.name.startsWith('W3')) continue;
    if (!workload.check(await answer(server, workload, 1))) {
      throw new Error(`${server.label} answered ${workload.name} wrongly`);
    }
  }
}

await runMain('bench', async ({ onShutdown }) => {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '16' },
      pooler: { type: 'boolean', default: false },
      replica: { type: 'boolean', default: false },
      workload: { type: 'string', default: 'all' },
      'per-org': { type: 'string', default: '5' },
      'noisy-extra': { type: 'string', multiple: true, default: [] },
      extra: { type: 'string', multiple: true, default: [] },
      only: { type: 'string', default: '' },
      'without-cache-off': { type: 'boolean', default: false },
      warmup: { type: 'string', default: String(WARMUP_S) },
    },
  });
  const chosen = values.workload;
  if (chosen !== 'all' && chosen !== 'standard' && chosen !== 'noisy') {
    throw new Error(`--workload: all, standard or noisy, not ${chosen}`);
  }
  const standard = chosen !== 'noisy';
  const noisy = !values.pooler && !values.replica && chosen !== 'standard';
  const durationS = Number(values.duration);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  // Local mode with a dev secret of this run's own, given to every server it starts.
  const config = loadConfig(
    childEnv({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: randomBytes(32).toString('base64url') }),
  );
  if (config.auth.provider !== 'dev')
    throw new Error('the benchmark runs in local mode (dev tokens)');
  const logger = createLogger({ ...config, logLevel: 'warn', service: 'heimdex-bench' });

  const replicated = values.replica ? await startReplicatedPostgres(logger) : undefined;
  say(`# seeding ${ORGS} orgs x ${JOBS_PER_ORG} jobs`);
  const db = await createSeededDatabase(
    replicated
      ? { ...config, database: { ...config.database, adminUrl: replicated.primaryUrl } }
      : config,
    logger,
  );
  const servers: Server[] = [];
  let cleaned: Promise<void> | undefined;
  const stops: Array<() => Promise<void>> = [];
  const cleanUp = () =>
    (cleaned ??= (async () => {
      await Promise.all(servers.map((s) => s.child.stop(config.shutdownTimeoutMs)));
      for (const stop of stops) await stop();
      await db.drop();
      await replicated?.stop();
    })());
  onShutdown(cleanUp);
  const secret = config.auth.secret;
  const tokens = new Map<string, string>();
  for (const [i, orgId] of db.orgs.entries()) {
    tokens.set(
      orgId,
      await signDevToken(secret, { orgId, sub: `bench-${i}`, role: 'member' }, '2h'),
    );
  }
  const all = workloads(db, (orgId) => tokens.get(orgId)!);
  // With --replica, W2 alone.
  // --only W1,W2: those workloads alone (short variant runs).
  const only = values.only.split(',').filter(Boolean);
  const picked = only.length ? all.filter((w) => only.some((o) => w.name.startsWith(o))) : all;
  const measured = replicated ? picked.filter((w) => w.name.startsWith('W2')) : picked;

  const start = async (
    label: string,
    kind: ServerKind,
    script: string,
    env: Record<string, string>,
    readsOnly = false,
  ) => {
    const port = await freePort();
    const child = startChild(
      { name: label, script },
      childEnv({
        HEIMDEX_ENV: 'local',
        DEV_JWT_SECRET: secret,
        DATABASE_URL: db.adminUrl,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        DB_POOL_MAX: '10',
        GRAPHILE_ENV: 'production',
        ...env,
      }),
      logger,
    );
    const server = { label, kind, url: `http://127.0.0.1:${port}`, child, readsOnly };
    servers.push(server);
    await ready(server, all);
    return server;
  };
  let contenders: Server[] = [];
  const extras: Server[] = [];
  let baseline: Server | undefined;
  if (standard && replicated) {
    const readUrl = withDatabase(
      replicated.replicaUrl,
      decodeURIComponent(new URL(db.adminUrl).pathname.slice(1)),
    );
    await caughtUp(db.adminUrl, readUrl);
    const alone = await start('gateway, primary alone', 'gateway', 'dist/server/bin/api.js', {});
    const withReplica = await start('gateway + replica', 'gateway', 'dist/server/bin/api.js', {
      READ_DATABASE_URL: readUrl,
    });
    contenders = [alone, withReplica];
    baseline = alone;
  } else if (standard && values.pooler) {
    const gateway = await start('gateway', 'gateway', 'dist/server/bin/api.js', {});
    const bouncer = await startPgBouncer(db.adminUrl, { poolSize: 10 });
    stops.push(bouncer.stop);
    const unnamed = await start(
      'gateway, unnamed statements',
      'gateway',
      'dist/server/bin/api.js',
      { DB_POOLER: 'transaction' },
    );
    const pooled = await start('gateway via PgBouncer', 'gateway', 'dist/server/bin/api.js', {
      DB_POOLER: 'transaction',
      API_DATABASE_URL: bouncer.through(deriveLocalRoleUrls(db.adminUrl).api),
    });
    contenders = [gateway, unnamed, pooled];
    baseline = gateway;
  } else if (standard) {
    const gateway = await start('gateway', 'gateway', 'dist/server/bin/api.js', {});
    const noCache = await start(
      'gateway, token cache off',
      'gateway',
      'dist/server/bin/api.js',
      { AUTH_TOKEN_CACHE_SIZE: '0' },
      true,
    );
    // It verifies every token, as PostGraphile deployments do: the cache is one of the gateway's levers.
    const standalone = await start(
      'postgraphile standalone',
      'postgraphile',
      'dist/bench/gateway/postgraphileServer.js',
      { AUTH_TOKEN_CACHE_SIZE: '0' },
    );
    // --extra "label:NAME=value,NAME=value": one more gateway with those settings,
    // measured in the same rounds (rate limits off, tracing or metrics on...).
    for (const spec of values.extra) {
      const { label, env } = extraSpec(spec);
      extras.push(await start(`gateway, ${label}`, 'gateway', 'dist/server/bin/api.js', env));
    }
    contenders = values['without-cache-off']
      ? [gateway, ...extras, standalone]
      : [gateway, noCache, ...extras, standalone];
    baseline = standalone;
  }

  const version = await (async () => {
    const client = new pg.Client({ connectionString: db.adminUrl });
    await client.connect();
    try {
      return (await client.query<{ server_version: string }>('show server_version')).rows[0]!
        .server_version;
    } finally {
      await client.end();
    }
  })();
  say(
    `# ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, PostgreSQL ${version}`,
  );
  if (standard && baseline) {
    say(
      `# autocannon, ${connections} connections, ${rounds} rounds x ${durationS} s per server, alternating; medians`,
    );
    const rows: Row[] = [];
    for (const workload of measured) {
      const running = contenders.filter((s) => !(s.readsOnly && workload.name.startsWith('W3')));
      const load = (server: Server, seconds: number) =>
        runLoad({
          url: server.url,
          pid: server.child.pid,
          server: server.kind,
          workload,
          connections,
          durationS: seconds,
        });
      for (const server of running) await load(server, Number(values.warmup));
      const byServer = new Map(running.map((s) => [s, [] as Row['runs']]));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 ? [...running].reverse() : running;
        for (const server of order) {
          const run = await load(server, durationS);
          byServer.get(server)!.push(run);
          say(
            `#   ${workload.name.slice(0, 2)} round ${round + 1} ${server.label}: ${run.requestsPerSecond.toFixed(0)} req/s, ${run.cpuUsPerRequest.toFixed(0)} us/req`,
          );
        }
      }
      for (const [server, runs] of byServer)
        rows.push({ workload: workload.name, server: server.label, runs });
      say(`# ${workload.name} done`);
    }
    say('');
    say(formatTable(rows, baseline.label));
    say('');
    if (extras.length) {
      say(
        `Each --extra against the gateway in the same round: median [range] of the rounds' ratios`,
      );
      say(
        formatRoundRatios(
          rows,
          'gateway',
          extras.map((s) => s.label),
        ),
      );
      say('');
    }
    if (replicated) {
      say('One primary and one streaming replica (PostgreSQL binaries of this machine), on the');
      say('same cores as the API and the load: this is the cost of routing reads to a replica,');
      say('not the capacity a replica on its own machine adds.');
    } else if (values.pooler) {
      say('PgBouncer 1.18, pool_mode=transaction, default_pool_size=10 (the gateway pool size).');
    } else {
      say(
        'Both verify HS256 tokens with the same code; the gateway caches verified tokens (by hash),',
      );
      say(
        'PostGraphile verifies each one ("gateway, token cache off" compares without that lever).',
      );
      say('W3: the gateway writes the job, its first event, an audit event and the queue job;');
      say('PostGraphile calls the same app_private.create_job through a custom mutation.');
    }
  }

  if (noisy) {
    const { orgA, w1 } = noisyOrgs(db, (orgId) => tokens.get(orgId)!);
    const tokenA = tokens.get(orgA)!;
    const gateways = [];
    const perOrg = values['per-org'];
    for (const { label, env } of noisyServers(
      perOrg.split(','),
      values['noisy-extra'].map(extraSpec),
    )) {
      const server = await start(label, 'gateway', 'dist/server/bin/api.js', env);
      const heavy = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenA}` },
        body: JSON.stringify({ query: HEAVY_READ }),
      });
      const json = (await heavy.json()) as { data?: { jobs: { nodes: unknown[] } } };
      if (json.data?.jobs.nodes.length !== 100) throw new Error(`${label}: heavy read failed`);
      const target = { label, url: server.url, pid: server.child.pid };
      await runLoad({
        ...target,
        server: 'gateway',
        workload: w1,
        connections: 4,
        durationS: WARMUP_S,
      });
      gateways.push({ ...target, rounds: [] as NoisyRound[] });
    }
    say('');
    say(
      `# noisy neighbour: org A ${FLOOD_CONNECTIONS} connections of the 2,100-node list, org B W1 on ${B_CONNECTIONS}; pool 10 (${perOrg} per org when fair); ${rounds} rounds x ${durationS} s per phase, alternating; medians`,
    );
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...gateways].reverse() : gateways;
      for (const gateway of order) {
        gateway.rounds.push(await noisyRound(gateway, w1, tokenA, durationS));
      }
      say(`# noisy round ${round + 1} done`);
    }
    say('');
    say(formatNoisyTable(gateways));
    say('');
    say("p99 x: B's p99 over its p99 alone on the same gateway. A 2xx/429/400/503: A's answers");
    say("over all rounds. CPU us/req: the API process, per request answered (A's and B's).");
    say(
      '"fair pool" (admission by cost at its defaults) and the others run with RATE_LIMIT=off, so',
    );
    say('every request of A reaches the queues; "no admission": budgets no request reaches.');
    say('"rate limits on" has the default budgets (500,000 points a minute per org).');
  }
  await cleanUp();
});

/** "label:NAME=value,NAME=value" (--extra, --noisy-extra): a gateway's label and settings. */
function extraSpec(spec: string): { label: string; env: Record<string, string> } {
  const [label = spec, settings = ''] = spec.split(/:(.*)/s);
  const env = Object.fromEntries(
    settings
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
  return { label, env };
}

/** Until the replica has replayed everything the primary had written (the seeded data). */
async function caughtUp(primaryUrl: string, replicaUrl: string): Promise<void> {
  const primary = new pg.Client({ connectionString: primaryUrl });
  const replica = new pg.Client({ connectionString: replicaUrl });
  await Promise.all([primary.connect(), replica.connect()]);
  try {
    const { rows } = await primary.query<{ lsn: string }>(
      'select pg_current_wal_insert_lsn()::text as lsn',
    );
    for (;;) {
      const replayed = await replica.query<{ done: boolean }>(
        'select pg_last_wal_replay_lsn() >= $1::pg_lsn as done',
        [rows[0]!.lsn],
      );
      if (replayed.rows[0]!.done) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await Promise.all([primary.end(), replica.end()]);
  }
}
