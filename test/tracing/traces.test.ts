/**
 * Traces from request to job, end to end: a real API process and a real
 * worker process, each configured only by OTEL_* variables, export OTLP/HTTP
 * to a receiver of this test's own (the API as protobuf, the default; the
 * worker as JSON). One createJob gives one trace that holds the request, its
 * token verification, the operation with its cost, each statement, the
 * commit, and the worker's run of the job through to succeeded. Every
 * attribute of every span is checked for tokens, claims and values.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { freePort } from '../../dev/freePort.js';
import { spawnScript, type Spawned } from '../support/processes.js';
import { spawnWorker, type WorkerProcess } from '../support/testWorker.js';
import { waitFor } from '../support/waitFor.js';
import { TEST_DEV_SECRET } from '../support/localEnv.js';
import { signDevToken } from '../../server/auth/devToken.js';
import type { GraphqlBody } from '../support/graphql.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../support/otlpReceiver.js';

let db: TestDatabase;
let receiver: OtlpReceiver;
let api: Spawned;
let worker: WorkerProcess;
let admin: pg.Pool;
let port: number;

const TRACING = {
  OTEL_BSP_SCHEDULE_DELAY: '50',
  // A collector's key: sent as a header, never logged.
  OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=collector-secret-value',
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
};

before(async () => {
  db = await createTestDatabase();
  admin = new pg.Pool({ connectionString: db.urls.admin, max: 2 });
  receiver = await startOtlpReceiver();
  port = await freePort();
  api = spawnScript('dist/server/bin/api.js', [], {
    HEIMDEX_ENV: 'local',
    DEV_JWT_SECRET: TEST_DEV_SECRET,
    DATABASE_URL: db.urls.admin,
    PORT: String(port),
    LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    ...TRACING,
  });
  worker = spawnWorker(db.urls.admin, {
    DEV_JWT_SECRET: TEST_DEV_SECRET,
    JOB_STAGE_DURATION_MS: '20',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.endpoint}/v1/traces`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    ...TRACING,
  });
  await api.waitFor(/"msg":"listening"/, 60_000);
});

after(async () => {
  api.child.kill('SIGTERM');
  worker.child.kill('SIGTERM');
  await Promise.all([api.exited, worker.exited]);
  await receiver.close();
  await admin.end();
  await db.drop();
});

async function post(
  token: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { response, body: (await response.json()) as GraphqlBody };
}

const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe('one createJob, one trace', () => {
  const orgId = randomUUID();
  const sub = `user-${randomUUID()}`;
  const idempotencyKey = `key-${randomUUID()}`;
  let token: string;
  let trace: ReceivedSpan[];
  let requestId: string;
  let jobId: string;

  before(async () => {
    token = await signDevToken(TEST_DEV_SECRET, { orgId, sub, role: 'member' });
    const { response, body } = await post(
      token,
      `mutation CreateJob($key: String!) {
         createJob(input: { type: MOCK_PROCESS, idempotencyKey: $key }) { job { id } }
       }`,
      { key: idempotencyKey },
    );
    assert.equal(response.status, 200, JSON.stringify(body));
    requestId = response.headers.get('x-request-id')!;
    jobId = (body.data?.['createJob'] as { job: { id: string } }).job.id;
    await receiver.waitFor((spans) => named(spans, 'job mock_process').length > 0, 30_000);
    const http = receiver.spans.find((s) => s.attributes['heimdex.request_id'] === requestId)!;
    assert.ok(http, 'the request has a span');
    trace = receiver.spans.filter((s) => s.traceId === http.traceId);
  });

  it('holds the request, its token verification, the operation, each statement and the commit', () => {
    const http = named(trace, 'POST /graphql');
    assert.equal(http.length, 1);
    assert.equal(http[0]!.kind, 1, 'server');
    assert.equal(http[0]!.parentSpanId, '', 'a root: the client sent no traceparent');
    assert.equal(http[0]!.service, 'heimdex-api');
    assert.equal(http[0]!.attributes['http.response.status_code'], 200);
    assert.equal(http[0]!.attributes['heimdex.org_id'], orgId);
    assert.equal(http[0]!.attributes['heimdex.role'], 'member');

    const verify = named(trace, 'verify token');
    assert.equal(verify.length, 1);
    assert.equal(verify[0]!.parentSpanId, http[0]!.spanId);

    const operation = named(trace, 'mutation CreateJob');
    assert.equal(operation.length, 1);
    assert.equal(operation[0]!.parentSpanId, http[0]!.spanId);
    assert.equal(operation[0]!.attributes['graphql.operation.type'], 'mutation');
    assert.equal(operation[0]!.attributes['graphql.operation.name'], 'CreateJob');
    assert.equal(typeof operation[0]!.attributes['heimdex.cost.nodes'], 'number');
    assert.equal(operation[0]!.statusCode, 0, 'no error');

    const statements = trace.filter((s) => s.attributes['db.query.text'] !== undefined);
    assert.ok(statements.length >= 1);
    for (const s of statements) assert.equal(s.parentSpanId, operation[0]!.spanId, s.name);
    const first = statements.filter((s) => s.attributes['heimdex.db.begin'] === true);
    assert.equal(first.length, 1, 'begin and the settings went with one statement');
    assert.equal(first[0]!.attributes['heimdex.db.read_only'], false);
    assert.match(String(first[0]!.attributes['db.query.text']), /app_private\.create_job\(\$1/);

    const commit = named(trace, 'db commit');
    assert.equal(commit.length, 1);
    assert.equal(commit[0]!.parentSpanId, operation[0]!.spanId);
  });

  it("continues in the worker: the job's run, start, each stage and the end join the trace", async () => {
    await receiver.waitFor(
      (spans) =>
        spans.some((s) => s.name === 'job mock_process' && s.traceId === trace[0]!.traceId),
      30_000,
    );
    const all = receiver.spans.filter((s) => s.traceId === trace[0]!.traceId);
    const operation = named(all, 'mutation CreateJob')[0]!;
    const run = named(all, 'job mock_process');
    assert.equal(run.length, 1);
    assert.equal(run[0]!.service, 'heimdex-worker');
    assert.equal(run[0]!.contentType, 'application/json');
    assert.equal(run[0]!.kind, 4, 'consumer');
    assert.equal(run[0]!.parentSpanId, operation.spanId, 'under the operation that created it');
    assert.equal(run[0]!.attributes['heimdex.job.id'], jobId);
    assert.equal(run[0]!.attributes['heimdex.job.status'], 'succeeded');
    for (const name of [
      'job start',
      'job stage extracting',
      'job stage analyzing',
      'job stage indexing',
      'job succeed',
    ]) {
      const spans = named(all, name);
      assert.equal(spans.length, 1, name);
      assert.equal(spans[0]!.parentSpanId, run[0]!.spanId, name);
    }
    const { rows } = await admin.query(
      'select traceparent, status from app_public.jobs where id = $1',
      [jobId],
    );
    assert.equal(rows[0].status, 'succeeded');
    assert.equal(rows[0].traceparent, `00-${operation.traceId}-${operation.spanId}-01`);
  });

  it('exports with the configured headers and resource, and logs the trace id with the request id', () => {
    assert.ok(receiver.requests.length > 0);
    for (const headers of receiver.requests) {
      assert.equal(headers['x-collector-key'], 'collector-secret-value');
    }
    const requestLine = api
      .output()
      .split('\n')
      .filter((line) => line.includes(requestId) && line.includes('"msg":"request"'));
    assert.equal(requestLine.length, 1, api.output());
    assert.equal(JSON.parse(requestLine[0]!).traceId, trace[0]!.traceId);
    assert.doesNotMatch(
      api.output() + worker.lines.map((l) => JSON.stringify(l)).join('\n'),
      /collector-secret-value/,
    );
  });

  it("joins the client's trace when it sends a traceparent; a malformed one starts a new trace", async () => {
    const clientTrace = randomUUID().replaceAll('-', '');
    const sent = async (traceparent: string) => {
      const { response } = await post(token, '{ viewer { orgId } }', undefined, { traceparent });
      assert.equal(response.status, 200);
      const id = response.headers.get('x-request-id');
      await receiver.waitFor(
        (spans) => spans.some((s) => s.attributes['heimdex.request_id'] === id),
        10_000,
      );
      return receiver.spans.find((s) => s.attributes['heimdex.request_id'] === id)!;
    };
    const joined = await sent(`00-${clientTrace}-00f067aa0ba902b7-01`);
    assert.equal(joined.traceId, clientTrace);
    assert.equal(joined.parentSpanId, '00f067aa0ba902b7');
    const fresh = await sent(`00-${clientTrace}-00f067aa0ba902b7-01-not-version-00`);
    assert.notEqual(fresh.traceId, clientTrace);
    assert.equal(fresh.parentSpanId, '');
  });

  it('records nothing of a request sampled out, and its job carries the unsampled traceparent', async () => {
    // The client's flags say "not sampled": the parent-based sampler (the default) follows it.
    const clientTrace = randomUUID().replaceAll('-', '');
    const create = async (traceparent: string) => {
      const { response, body } = await post(
        token,
        'mutation($key: String!) { createJob(input: { type: MOCK_PROCESS, idempotencyKey: $key }) { job { id } } }',
        { key: randomUUID() },
        { traceparent },
      );
      assert.equal(response.status, 200, JSON.stringify(body));
      const job = (body.data?.['createJob'] as { job: { id: string } }).job.id;
      return { requestId: response.headers.get('x-request-id')!, job };
    };
    const unsampled = await create(`00-${clientTrace}-00f067aa0ba902b7-00`);
    await waitFor('the unsampled job to succeed', async () => {
      const { rows } = await admin.query('select status from app_public.jobs where id = $1', [
        unsampled.job,
      ]);
      return rows[0]?.status === 'succeeded';
    });
    const { rows } = await admin.query('select traceparent from app_public.jobs where id = $1', [
      unsampled.job,
    ]);
    assert.match(String(rows[0].traceparent), new RegExp(`^00-${clientTrace}-[0-9a-f]{16}-00$`));
    // A sampled request and job afterwards: once their spans arrive, any of the first would have.
    const sampledTrace = randomUUID().replaceAll('-', '');
    await create(`00-${sampledTrace}-00f067aa0ba902b7-01`);
    await receiver.waitFor(
      (spans) => spans.some((s) => s.name === 'job succeed' && s.traceId === sampledTrace),
      30_000,
    );
    assert.deepEqual(
      receiver.spans.filter(
        (s) =>
          s.traceId === clientTrace || s.attributes['heimdex.request_id'] === unsampled.requestId,
      ),
      [],
    );
    const requestLine = api
      .output()
      .split('\n')
      .find((line) => line.includes(unsampled.requestId) && line.includes('"msg":"request"'));
    assert.equal(
      JSON.parse(requestLine!).traceId,
      clientTrace,
      'the log line still names the trace',
    );
  });

  it('puts no token, no claim but org and role, and no SQL value in any attribute of any span', async () => {
    // A variable's value goes to PostgreSQL as a parameter, never into a span.
    const { body } = await post(token, 'query Job($id: UUID!) { job(id: $id) { id } }', {
      id: '00000000-0000-4000-8000-00000000beef',
    });
    assert.ok(body.data, JSON.stringify(body));
    // A refused token: its span says so, without the token.
    const badToken = `${token.slice(0, -4)}AAAA`;
    const refused = await post(badToken, '{ viewer { orgId } }');
    assert.equal(refused.response.status, 401);
    await receiver.waitFor(
      (spans) =>
        named(spans, 'query Job').length > 0 &&
        spans.some((s) => s.name === 'verify token' && s.statusCode === 2),
      10_000,
    );
    const forbidden = [
      token,
      badToken,
      ...token.split('.'),
      sub,
      idempotencyKey,
      TEST_DEV_SECRET,
      'beef',
    ];
    assert.ok(receiver.spans.length > 10);
    for (const span of receiver.spans) {
      for (const [key, value] of Object.entries(span.attributes)) {
        const text = JSON.stringify(value);
        for (const secret of forbidden) {
          assert.ok(!text.includes(secret), `${span.name}: ${key} carries ${secret}`);
        }
        assert.doesNotMatch(
          key,
          /token|sub|claim|jwt|password|secret|param/i,
          `${span.name}: ${key}`,
        );
      }
    }
  });
});
