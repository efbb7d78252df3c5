/**
 * Prometheus metrics as an operator scrapes them: `npm start` with
 * METRICS_PORT runs the API (metrics on METRICS_PORT) and the worker (on
 * METRICS_PORT + 1), never on the public port. After a few requests and real
 * jobs (one succeeds, one dead-letters) both scrapes are parsed with a
 * Prometheus text-format parser and hold what happened.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { freePort } from '../../../dev/freePort.js';
import { spawnScript, type Spawned } from '../../support/processes.js';
import { waitFor } from '../../support/waitFor.js';
import { GraphqlSocket } from '../../support/graphqlSocket.js';

interface Sample {
  labels?: Record<string, string>;
  value?: string;
  count?: string;
  sum?: string;
  buckets?: Record<string, string>;
}
interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}

/** Two free ports in a row: npm start gives the worker METRICS_PORT + 1. */
async function twoFreePorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const next = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port + 1, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (next) return port;
  }
}

interface Scrape {
  families: Map<string, Family>;
  /**
   * A histogram's observation counts (or sums) by label set. The parser
   * folds a histogram's label sets into one, so its `_count` (`_sum`)
   * samples are parsed again as the counter they are.
   */
  counts(histogram: string, part?: 'count' | 'sum'): Sample[];
}

async function scrape(port: number): Promise<Scrape> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  const families = new Map(
    (parsePrometheusTextFormat(text) as Family[]).map((family) => [family.name, family]),
  );
  return {
    families,
    counts(histogram, part = 'count') {
      assert.equal(families.get(histogram)?.type, 'HISTOGRAM', histogram);
      const name = `${histogram}_${part}`;
      const lines = text.split('\n').filter((line) => line.startsWith(`${name}{`));
      const [counter] = parsePrometheusTextFormat(
        [`# TYPE ${name} counter`, ...lines, ''].join('\n'),
      ) as Family[];
      return counter?.metrics ?? [];
    },
  };
}

/** The value of one sample, by exact labels (a counter or gauge). */
function value({ families }: Scrape, name: string, labels: Record<string, string> = {}) {
  const family = families.get(name);
  assert.ok(family, `${name} is exported`);
  const sample = family.metrics.find((m) =>
    Object.entries(labels).every(([key, v]) => m.labels?.[key] === v),
  );
  return sample === undefined ? undefined : Number(sample.value);
}

describe('Prometheus metrics under npm start', () => {
  let db: TestDatabase;
  let start: Spawned;
  let base: string;
  let metricsPort: number;
  let token: string;

  const graphql = async (query: string, variables?: unknown, bearer = token) => {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  };

  before(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    metricsPort = await twoFreePorts();
    base = `http://127.0.0.1:${port}`;
    start = spawnScript('dist/dev/bin/start.js', [], {
      HEIMDEX_ENV: 'local',
      DATABASE_URL: db.urls.admin,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      MAX_QUERY_NODES: '50',
      JOB_STAGE_DURATION_MS: '10',
      WORKER_HEARTBEAT_MS: '200',
      WORKER_STALE_AFTER_MS: '1000',
      LOG_LEVEL: 'warn',
    });
    token = (await start.waitFor(/export TOKEN=(\S+)/, 60_000))[1]!;
  });
  after(async () => {
    start?.child.kill('SIGTERM');
    if (start) assert.equal(await start.exited, 0, start.output());
    await db?.drop();
  });

  it('the API counts requests, verifications, failures and refusals, and shows its pool', async () => {
    const created = await graphql(
      'mutation Create { createJob(input: { type: MOCK_PROCESS }) { job { id } } }',
    );
    assert.ok(created.data, JSON.stringify(created));
    await graphql('query Who { viewer { orgId } }');
    await graphql('query Who { viewer { orgId } }', undefined, 'not-a-token');
    // Sockets refused at connection_init count by the same reasons, once each.
    for (const payload of [undefined, { authorization: 'Bearer not-a-token' }]) {
      const socket = await GraphqlSocket.open(base);
      socket.send({ type: 'connection_init', payload });
      assert.equal((await socket.closed).code, 4401);
    }
    const tooBig = await graphql('query Big { jobs(first: 100) { nodes { id } } }');
    assert.ok(tooBig.errors, 'over MAX_QUERY_NODES');

    const api = await scrape(metricsPort);
    const requests = 'heimdex_api_requests_total';
    assert.equal(
      value(api, requests, { operation_name: 'Create', operation_type: 'mutation', outcome: 'OK' }),
      1,
    );
    assert.equal(
      value(api, requests, { operation_name: 'Who', operation_type: 'query', outcome: 'OK' }),
      1,
    );
    assert.equal(value(api, requests, { outcome: 'UNAUTHENTICATED' }), 1);
    assert.equal(value(api, 'heimdex_api_auth_failures_total', { reason: 'malformed' }), 2);
    assert.equal(value(api, 'heimdex_api_auth_failures_total', { reason: 'missing_token' }), 1);
    assert.equal(value(api, 'heimdex_api_refusals_total', { limit: 'cost' }), 1);
    // The printed token was verified once, then came from the cache.
    assert.ok(value(api, 'heimdex_api_token_verifications_total', { result: 'verified' })! >= 1);
    assert.ok(value(api, 'heimdex_api_token_verifications_total', { result: 'cached' })! >= 2);
    const mutations = api
      .counts('heimdex_api_request_duration_seconds')
      .filter((m) => m.labels?.['operation_type'] === 'mutation');
    assert.deepEqual(
      mutations.map((m) => [m.labels?.['outcome'], Number(m.value)]),
      [['OK', 1]],
    );
    const transactions = api.counts('heimdex_api_transaction_duration_seconds');
    assert.ok(transactions.some((m) => m.labels?.['operation_type'] === 'mutation'));
    assert.ok(value(api, 'heimdex_api_db_pool_connections', { state: 'total' })! >= 1);
    for (const state of ['idle', 'waiting']) {
      assert.notEqual(value(api, 'heimdex_api_db_pool_connections', { state }), undefined);
    }
    assert.ok(api.families.has('process_cpu_user_seconds_total'), 'default process metrics');
    assert.ok(api.families.has('nodejs_eventloop_lag_seconds'));
  });

  it('the worker counts jobs by outcome and stage, heartbeats, and reads the queue at scrape', async () => {
    const failing = await graphql(
      'mutation Fail { createJob(input: { type: MOCK_PROCESS, failAtStage: ANALYZING, maxAttempts: 1 }) { job { id } } }',
    );
    assert.ok(failing.data, JSON.stringify(failing));
    const worker = await waitFor(
      'both jobs to finish',
      async () => {
        const families = await scrape(metricsPort + 1);
        const done =
          value(families, 'heimdex_worker_jobs_succeeded_total', { type: 'mock_process' }) === 1 &&
          value(families, 'heimdex_worker_jobs_dead_lettered_total', { type: 'mock_process' }) ===
            1;
        return done ? families : undefined;
      },
      { timeoutMs: 30_000, everyMs: 200 },
    );
    const job = { type: 'mock_process' };
    assert.equal(value(worker, 'heimdex_worker_jobs_started_total', job), 2);
    assert.equal(value(worker, 'heimdex_worker_jobs_failed_total', job), 1);
    const histogram = 'heimdex_worker_stage_duration_seconds';
    const stages = worker.counts(histogram);
    const count = (stage: string, outcome: string) =>
      Number(
        stages.find((m) => m.labels?.['stage'] === stage && m.labels['outcome'] === outcome)
          ?.value ?? 0,
      );
    // Both got through extracting; the first got through analyzing and indexing, the second failed analyzing.
    assert.deepEqual(
      ['extracting', 'analyzing', 'indexing'].map((stage) => [
        count(stage, 'succeeded'),
        count(stage, 'failed'),
      ]),
      [
        [2, 0],
        [1, 1],
        [1, 0],
      ],
    );
    // The failed stage's time is there: it slept JOB_STAGE_DURATION_MS (10 ms) before failing.
    const failedSum = worker
      .counts(histogram, 'sum')
      .find((m) => m.labels?.['stage'] === 'analyzing' && m.labels['outcome'] === 'failed');
    assert.ok(Number(failedSum?.value) >= 0.01, JSON.stringify(failedSum));
    assert.ok(value(worker, 'heimdex_worker_heartbeats_total')! >= 1);
    assert.equal(value(worker, 'heimdex_worker_forced_unlocks_total'), 0);
    for (const state of ['ready', 'scheduled', 'running', 'failed']) {
      assert.notEqual(value(worker, 'heimdex_worker_queue_jobs', { state }), undefined, state);
    }
    assert.equal(value(worker, 'heimdex_worker_queue_jobs', { state: 'failed' }), 1);
    assert.ok(worker.families.has('process_resident_memory_bytes'));
  });

  it('never serves metrics on the public port', async () => {
    assert.equal((await fetch(`${base}/metrics`)).status, 404);
  });
});
