/**
 * Graceful stop: once stopping, the server takes no new connections, lets
 * the request in flight finish and answer, then closes the pool.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';

const ORG = randomUUID();
let db: TestDatabase;
let api: TestApi;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
});
after(async () => {
  await api.stop();
  await db.drop();
});

async function post(token: string, query: string, variables?: unknown): Promise<Response> {
  return fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
}

it('drains the request in flight, refuses new connections, then closes the pool', async () => {
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  const token = await tokenFor(api.config.auth.secret, ORG, 'member');
  const created = (await (
    await post(token, 'mutation { createJob(input: { type: MOCK_PROCESS }) { job { id } } }')
  ).json()) as {
    data: { createJob: { job: { id: string } } };
  };
  const id = created.data.createJob.job.id;

  // Hold the job's row so a cancel has to wait: a request in flight.
  const locker = new pg.Client({ connectionString: db.urls.admin });
  await locker.connect();
  await locker.query('begin');
  await locker.query('select 1 from app_public.jobs where id = $1 for update', [id]);
  const inFlight = post(token, 'mutation($id: UUID!) { cancelJob(id: $id) { status } }', { id });
  while (api.api.pool.totalCount === 0 || api.api.pool.idleCount === api.api.pool.totalCount) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  const stopped = api.stop();
  await assert.rejects(post(token, '{ viewer { role } }'), 'no new connections while stopping');
  await locker.query('commit');
  await locker.end();

  const response = await inFlight;
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { data: { cancelJob: { status: 'CANCELED' } } });
  await stopped;
  assert.equal(api.api.pool.ended, true);
});
