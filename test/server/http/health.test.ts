/**
 * Liveness never touches the database; readiness says whether this instance
 * can serve: the database answers and every migration is applied, else 503
 * with the reason.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { codes, graphql } from '../../support/graphql.js';
import { adminQuery, serverQuery } from '../../support/adminSql.js';

let db: TestDatabase;
let api: TestApi;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, { env: { DB_CONNECTION_TIMEOUT_MS: '500' } });
});
after(async () => {
  await serverQuery(`alter database ${db.name} with allow_connections true`);
  await api.stop();
  await db.drop();
});

it('is ready when the database answers and is migrated', async () => {
  const health = await api.http().get('/healthz');
  const ready = await api.http().get('/readyz');
  assert.deepEqual([health.status, health.body], [200, { status: 'ok' }]);
  assert.deepEqual([ready.status, ready.body], [200, { status: 'ready' }]);
});

it('stays ready while every request connection is taken; requests get 503, not a hang', async () => {
  const held = await Promise.all(
    Array.from({ length: api.config.database.poolMax }, () => api.api.pool.connect()),
  );
  try {
    const ready = await api.http().get('/readyz');
    assert.deepEqual([ready.status, ready.body], [200, { status: 'ready' }]);
    if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
    const token = await tokenFor(api.config.auth.secret, randomUUID());
    const busy = await graphql(api.http(), token, '{ jobs { totalCount } }');
    assert.equal(busy.status, 503);
    assert.deepEqual(codes(busy.body), ['SERVICE_UNAVAILABLE']);
  } finally {
    for (const client of held) client.release();
  }
});

it('is not ready while a migration is pending', async () => {
  const [applied] = await adminQuery(
    db,
    "delete from heimdex_migrations.applied where id like '000006%' returning *",
  );
  try {
    const ready = await api.http().get('/readyz');
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, {
      status: 'unavailable',
      reason: `migrations pending: ${applied!['id']}`,
    });
  } finally {
    await adminQuery(
      db,
      'insert into heimdex_migrations.applied (id, checksum, applied_at) values ($1, $2, $3)',
      [applied!['id'], applied!['checksum'], applied!['applied_at']],
    );
  }
});

it('with the database down: alive, not ready, and GraphQL answers 503', async () => {
  await serverQuery(`alter database ${db.name} with allow_connections false`);
  await serverQuery('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [
    db.name,
  ]);
  try {
    assert.equal((await api.http().get('/healthz')).status, 200);
    const ready = await api.http().get('/readyz');
    assert.deepEqual(
      [ready.status, ready.body],
      [503, { status: 'unavailable', reason: 'database unreachable' }],
    );
    if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
    const token = await tokenFor(api.config.auth.secret, randomUUID());
    const response = await graphql(api.http(), token, '{ jobs { totalCount } }');
    assert.equal(response.status, 503);
    assert.equal(response.headers['retry-after'], '5');
    assert.deepEqual(codes(response.body), ['SERVICE_UNAVAILABLE']);
  } finally {
    await serverQuery(`alter database ${db.name} with allow_connections true`);
  }
  assert.equal((await api.http().get('/readyz')).status, 200);
});

it('answers unknown paths with 404 and other methods on /graphql with 405', async () => {
  assert.equal((await api.http().get('/nope')).status, 404);
  const put = await api.http().put('/graphql');
  assert.equal(put.status, 405);
  assert.equal(put.headers['allow'], 'GET, POST');
});
