/**
 * Queries on a real streaming replica (READ_DATABASE_URL), mutations on the
 * primary, and read-your-writes through the Heimdex-Consistency header:
 * - a mutation followed at once by a query with its header always reads its
 *   write, also while the replica's replay is paused (the primary serves);
 * - without the header the replica serves: the request's application_name
 *   (it carries the request id) shows in pg_stat_activity on the replica and
 *   not on the primary, caught while both wait on a lock;
 * - a replica further behind than READ_REPLICA_MAX_LAG_MS is skipped;
 * - a stopped replica sends reads to the primary with no error to the client;
 * - a header that is not a WAL position is a 400 BAD_USER_INPUT;
 * - traced, the `db connect` span says which server took the transaction,
 *   and no span carries the token or a variable's value.
 * The primary and the replica are servers of this file's own
 * (dev/streamingReplica.ts says why); the replica is stopped by the last test.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startReplicatedPostgres, type ReplicatedPostgres } from '../../../dev/streamingReplica.js';
import {
  createDatabase,
  dropDatabase,
  migrateLocally,
  scratchName,
} from '../../../dev/scratchDatabase.js';
import { deriveLocalRoleUrls, withDatabase } from '../../../runtime/db/roleUrls.js';
import { createLogger } from '../../../runtime/logger.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import type { TestDatabase } from '../../support/testDatabase.js';
import { tokenFor } from '../../support/tokens.js';
import { waitFor } from '../../support/waitFor.js';
import { parseWalPosition } from '../../../server/db/walPosition.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../../support/otlpReceiver.js';

const HEADER = 'heimdex-consistency';
const CREATE = 'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }';
const READ = 'query($id: UUID!) { job(id: $id) { id } }';
const REQUEST_NAME = /^heimdex-api ([0-9a-f-]{36})$/;

const logger = createLogger({ env: 'local', version: 'test', logLevel: 'warn', service: 'test' });
let servers: ReplicatedPostgres;
let db: TestDatabase;
let primary: pg.Pool;
let replica: pg.Pool;
/** Max lag one minute: only the replayed position decides. */
let api: TestApi;
/** Max lag 200 ms. */
let strictApi: TestApi;
/** As `api`, with tracing on: OTLP to `receiver`. */
let tracedApi: TestApi;
let receiver: OtlpReceiver;
let token: string;

before(async () => {
  servers = await startReplicatedPostgres(logger);
  const name = scratchName('t');
  await createDatabase(servers.primaryUrl, name);
  const admin = withDatabase(servers.primaryUrl, name);
  await migrateLocally(admin, logger);
  db = { name, urls: { ...deriveLocalRoleUrls(admin), admin }, drop: async () => {} };
  primary = new pg.Pool({ connectionString: admin, max: 3 });
  replica = new pg.Pool({ connectionString: withDatabase(servers.replicaUrl, name), max: 3 });
  // The last test stops the replica under its idle connections.
  replica.on('error', () => undefined);
  await waitFor('the migrated database on the replica', async () => {
    const { rows } = await replica
      .query<{ ok: boolean }>("select to_regclass('app_public.jobs') is not null as ok")
      .catch(() => ({ rows: [] as Array<{ ok: boolean }> }));
    return rows[0]?.ok === true;
  });
  const readUrl = withDatabase(servers.replicaUrl, name);
  api = await startTestApi(db, {
    env: { READ_DATABASE_URL: readUrl, READ_REPLICA_MAX_LAG_MS: '60000' },
  });
  strictApi = await startTestApi(db, {
    env: { READ_DATABASE_URL: readUrl, READ_REPLICA_MAX_LAG_MS: '200' },
  });
  receiver = await startOtlpReceiver();
  tracedApi = await startTestApi(db, {
    env: {
      READ_DATABASE_URL: readUrl,
      READ_REPLICA_MAX_LAG_MS: '60000',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    },
  });
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  token = await tokenFor(api.config.auth.secret, randomUUID());
});
after(async () => {
  await api?.stop();
  await strictApi?.stop();
  await tracedApi?.stop();
  await receiver?.close();
  await primary?.end();
  await replica?.end();
  // pg-pool's end() resolves before its sockets close; a server stopped in that
  // window sends them a 57P01 that nobody listens to any more.
  if (db) {
    await untilNoSessions(servers.replicaUrl, db.name);
    await dropDatabase(servers.primaryUrl, db.name);
  }
  await servers?.stop();
});

/** Until no session is left on `database` (or the server is gone). */
async function untilNoSessions(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  try {
    await client.connect();
  } catch {
    return;
  }
  try {
    await waitFor('the sessions to leave', async () => {
      const { rows } = await client.query<{ n: number }>(
        'select count(*)::int as n from pg_stat_activity where datname = $1',
        [database],
      );
      return rows[0]!.n === 0;
    });
  } finally {
    await client.end();
  }
}

function post(target: TestApi, query: string, variables?: object, consistency?: string) {
  const request = target
    .http()
    .post('/graphql')
    .set('content-type', 'application/json')
    .set('authorization', `Bearer ${token}`);
  if (consistency !== undefined) request.set(HEADER, consistency);
  return request.send({ query, variables });
}

async function createJob(target: TestApi = api): Promise<{ id: string; position: string }> {
  const response = await post(target, CREATE);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const position = response.headers[HEADER] as string | undefined;
  assert.ok(position && parseWalPosition(position) !== undefined, `header: ${position}`);
  const data = response.body as { data: { createJob: { job: { id: string } } } };
  return { id: data.data.createJob.job.id, position };
}

async function readJob(target: TestApi, id: string, consistency?: string): Promise<string | null> {
  const response = await post(target, READ, { id }, consistency);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  const body = response.body as { data: { job: { id: string } | null }; errors?: unknown };
  assert.equal(body.errors, undefined);
  return body.data.job?.id ?? null;
}

async function setReplay(paused: boolean): Promise<void> {
  await replica.query(paused ? 'select pg_wal_replay_pause()' : 'select pg_wal_replay_resume()');
  await waitFor(`replay ${paused ? 'paused' : 'running'}`, async () => {
    const { rows } = await replica.query<{ state: string }>(
      'select pg_get_wal_replay_pause_state() as state',
    );
    return paused ? rows[0]?.state === 'paused' : rows[0]?.state === 'not paused';
  });
}

/** Request ids of API transactions in pg_stat_activity on one server. */
async function requestsOn(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    "select application_name as name from pg_stat_activity where application_name like 'heimdex-api %'",
  );
  return rows.flatMap(({ name }) => REQUEST_NAME.exec(name)?.[1] ?? []);
}

/**
 * Sends `send` while the primary holds an access exclusive lock on jobs (a
 * lock the replica replays when its replay runs), and returns the request id
 * found waiting on each server, then the response once the lock is gone.
 */
async function whileJobsLocked(
  replayed: boolean,
  send: () => PromiseLike<{ status: number; headers: Record<string, string> }>,
) {
  const locker = await primary.connect();
  try {
    await locker.query('begin');
    await locker.query('lock table app_public.jobs in access exclusive mode');
    if (replayed) {
      // The lock's WAL record is flushed (and streamed) with the next commit that has an xid.
      await primary.query('select pg_current_xact_id()');
      await waitFor('the lock replayed on the replica', async () => {
        const { rows } = await replica.query<{ n: number }>(
          `select count(*)::int as n from pg_locks
            where relation = 'app_public.jobs'::regclass and mode = 'AccessExclusiveLock' and granted`,
        );
        return rows[0]!.n > 0;
      });
    }
    // supertest sends once asked for its result.
    const response = Promise.resolve(send());
    const waiting = await waitFor('the request waiting on the lock', async () => {
      const [onPrimary, onReplica] = await Promise.all([requestsOn(primary), requestsOn(replica)]);
      return onPrimary.length + onReplica.length > 0 && { onPrimary, onReplica };
    });
    await locker.query('rollback');
    const done = await response;
    assert.equal(done.status, 200);
    return { ...waiting, requestId: done.headers['x-request-id'] };
  } finally {
    await locker.query('rollback').catch(() => undefined);
    locker.release();
  }
}

describe('queries on a streaming replica, read-your-writes through Heimdex-Consistency', () => {
  it('answers a committed mutation with a WAL position the primary has reached', async () => {
    const { position } = await createJob();
    const { rows } = await primary.query<{ lsn: string }>(
      'select pg_current_wal_insert_lsn()::text as lsn',
    );
    assert.ok(parseWalPosition(position)! <= parseWalPosition(rows[0]!.lsn)!);
  });

  it('reads its own write at once with the header, many times over', async () => {
    for (let i = 0; i < 60; i += 1) {
      const { id, position } = await createJob();
      assert.equal(await readJob(api, id, position), id, `iteration ${i}`);
    }
  });

  it('still reads its own write with replay paused: the primary serves', async () => {
    await setReplay(true);
    try {
      for (let i = 0; i < 20; i += 1) {
        const { id, position } = await createJob();
        assert.equal(await readJob(api, id, position), id, `iteration ${i}`);
        // Without the header the replica serves, and it has not replayed the write.
        assert.equal(await readJob(api, id), null, `iteration ${i}, no header`);
      }
    } finally {
      await setReplay(false);
    }
  });

  it('without the header reads on the replica: pg_stat_activity on each side', async () => {
    const { id, position } = await createJob();
    await waitFor('the replica replaying the write', async () => (await readJob(api, id)) === id);
    const seen = await whileJobsLocked(true, () => post(api, READ, { id }));
    assert.deepEqual(seen.onReplica, [seen.requestId]);
    assert.deepEqual(seen.onPrimary, []);

    // With the header and the replica behind it: on the primary.
    await setReplay(true);
    try {
      const later = await createJob();
      const onPrimary = await whileJobsLocked(false, () =>
        post(api, READ, { id: later.id }, later.position),
      );
      assert.deepEqual(onPrimary.onPrimary, [onPrimary.requestId]);
      assert.deepEqual(onPrimary.onReplica, []);
    } finally {
      await setReplay(false);
    }
    // An old position the replica has passed: on the replica.
    const old = await whileJobsLocked(true, () => post(api, READ, { id }, position));
    assert.deepEqual(old.onReplica, [old.requestId]);
  });

  it('sends reads to the primary while the replica lags more than READ_REPLICA_MAX_LAG_MS', async () => {
    await setReplay(true);
    try {
      const { id } = await createJob(strictApi);
      // The loose API still reads the (stale) replica; the strict one sees it lag.
      assert.equal(await readJob(api, id), null);
      await waitFor('readyz reporting the lag', async () => {
        const response = await strictApi.http().get('/readyz');
        assert.equal(response.status, 200);
        return (response.body as { replica: { status: string } }).replica.status === 'lagging';
      });
      assert.equal(await readJob(strictApi, id), id);
    } finally {
      await setReplay(false);
    }
    await waitFor('the replica caught up', async () => {
      const response = await strictApi.http().get('/readyz');
      return (response.body as { replica: { status: string } }).replica.status === 'streaming';
    });
  });

  it('refuses a header that is not a WAL position with 400 BAD_USER_INPUT', async () => {
    for (const bad of ['latest', '0/', '/0', '1/2/3', 'G/0', '123456789/0', '-1/0']) {
      const response = await post(api, READ, { id: randomUUID() }, bad);
      assert.equal(response.status, 400, bad);
      const body = response.body as { errors: Array<{ message: string; extensions: object }> };
      assert.deepEqual(body.errors[0]!.extensions, { code: 'BAD_USER_INPUT' });
      assert.match(body.errors[0]!.message, /Heimdex-Consistency header must be/);
    }
  });

  it('reports the replica in /readyz without failing on it', async () => {
    const response = await api.http().get('/readyz');
    assert.equal(response.status, 200);
    const { replica: state } = response.body as { replica: { status: string; replayLsn: string } };
    assert.equal(state.status, 'streaming');
    assert.ok(parseWalPosition(state.replayLsn) !== undefined);
  });

  it('traces the choice of server inside the db connect span, and never a value', async () => {
    /** The spans of the request answered by `response`, once its own span arrived. */
    const traceOf = async (response: { headers: Record<string, string> }) => {
      const requestId = response.headers['x-request-id'];
      const own = (spans: ReceivedSpan[]) =>
        spans.find((s) => s.attributes['heimdex.request_id'] === requestId);
      await receiver.waitFor((spans) => own(spans) !== undefined, 10_000);
      const traceId = own(receiver.spans)!.traceId;
      const spans = receiver.spans.filter((s) => s.traceId === traceId);
      const one = (name: string) => {
        const found = spans.filter((s) => s.name === name);
        assert.equal(found.length, 1, `${name} in ${spans.map((s) => s.name).join(', ')}`);
        return found[0]!;
      };
      return { spans, one };
    };

    const created = await post(tracedApi, CREATE);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const id = (created.body as { data: { createJob: { job: { id: string } } } }).data.createJob.job
      .id;
    assert.ok(created.headers[HEADER]);
    const write = await traceOf(created);
    assert.equal(write.one('db connect').attributes['heimdex.db.served_by'], 'primary');
    assert.equal(write.one('db commit').statusCode, 0, 'the commit that read the position');

    // Without the header: the replica.
    const onReplica = await traceOf(await post(tracedApi, READ, { id }));
    const connect = onReplica.one('db connect');
    assert.equal(connect.attributes['heimdex.db.served_by'], 'replica');
    assert.equal(connect.statusCode, 0);
    const first = onReplica.spans.filter((s) => s.attributes['heimdex.db.begin'] === true);
    assert.equal(first.length, 1);
    assert.equal(first[0]!.attributes['heimdex.db.read_only'], true);
    assert.equal(onReplica.one('db commit').parentSpanId, connect.parentSpanId);

    // A position the replica has not replayed: the primary, decided inside the same span.
    await setReplay(true);
    let later: { id: string; position: string };
    let behind: Awaited<ReturnType<typeof traceOf>>;
    try {
      later = await createJob(tracedApi);
      behind = await traceOf(await post(tracedApi, READ, { id: later.id }, later.position));
    } finally {
      await setReplay(false);
    }
    assert.equal(behind.one('db connect').attributes['heimdex.db.served_by'], 'primary');

    const forbidden = [token, ...token.split('.'), id, later.id];
    for (const span of [...write.spans, ...onReplica.spans, ...behind.spans]) {
      for (const [key, value] of Object.entries(span.attributes)) {
        const text = JSON.stringify(value);
        for (const secret of forbidden) {
          assert.ok(!text.includes(secret), `${span.name}: ${key} carries ${secret}`);
        }
      }
    }
  });

  // Last: the replica does not come back.
  it('serves reads from the primary with no error once the replica is stopped', async () => {
    const { id, position } = await createJob();
    await servers.stopReplica();
    for (let i = 0; i < 20; i += 1) {
      assert.equal(await readJob(api, id), id);
      assert.equal(await readJob(api, id, position), id);
    }
    const later = await createJob();
    assert.equal(await readJob(api, later.id), later.id);
    const ready = await api.http().get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal((ready.body as { replica: { status: string } }).replica.status, 'down');
  });
});
