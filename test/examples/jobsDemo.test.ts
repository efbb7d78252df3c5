/**
 * The typed client example as a consumer runs it: `node
 * dist/examples/jobsDemo.js <url> <token>` as its own process, against the
 * real API and a real worker, with a real dev token. Every example operation
 * goes over HTTP with the generated types; `dist/examples/jobProgress.js`
 * follows a job live over a real WebSocket with the typed subscription.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { startTestApi, type TestApi } from '../support/testApi.js';
import { startTestWorker, type TestWorker } from '../support/testWorker.js';
import { spawnScript } from '../support/processes.js';
import { tokenFor } from '../support/tokens.js';

let db: TestDatabase;
let api: TestApi;
let worker: TestWorker;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  worker = await startTestWorker(db.urls.worker, { JOB_STAGE_DURATION_MS: '20' });
});
after(async () => {
  await worker?.stop();
  await api?.stop();
  await db.drop();
});

it('runs every example operation against the API, typed by the generated documents', async () => {
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  const orgId = randomUUID();
  const token = await tokenFor(api.config.auth.secret, orgId, 'member', 'demo-user');
  const demo = spawnScript('dist/examples/jobsDemo.js', [`${api.url}/graphql`, token], {});
  assert.equal(await demo.exited, 0, demo.output());

  const steps = new Map(
    demo
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: string; value: Record<string, any> }) // eslint-disable-line @typescript-eslint/no-explicit-any
      .map(({ step, value }) => [step, value]),
  );
  assert.deepEqual(steps.get('viewer'), { userId: 'demo-user', orgId, role: 'MEMBER' });

  const { created, sameKeyAgain } = steps.get('createJob')!;
  assert.equal(created.created, true);
  assert.equal(sameKeyAgain.created, false);
  assert.equal(sameKeyAgain.job.id, created.job.id, 'the idempotency key returned the same job');

  assert.deepEqual(steps.get('job'), {
    status: 'SUCCEEDED',
    events: [
      '- -> QUEUED null',
      'QUEUED -> RUNNING EXTRACTING',
      'RUNNING -> RUNNING ANALYZING',
      'RUNNING -> RUNNING INDEXING',
      'RUNNING -> SUCCEEDED INDEXING',
    ],
  });

  const retried = steps.get('retryJob')!;
  assert.equal(retried.from, 'DEAD_LETTER');
  assert.equal(retried.lastErrorCode, 'DETERMINISTIC_FAILURE');
  assert.deepEqual(
    { ...retried.retried, id: undefined },
    { id: undefined, status: 'QUEUED', attempt: 0 },
  );

  const canceled = steps.get('cancelJob')!;
  assert.ok(
    canceled.status === 'CANCELED' || /CONFLICT/.test(canceled.conflict),
    JSON.stringify(canceled),
  );

  assert.deepEqual(steps.get('jobs'), { totalCount: 3, pages: 2, seen: 3 });
});

it('creates a job and prints its progress live until it succeeds, then ends', async () => {
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  const token = await tokenFor(api.config.auth.secret, randomUUID(), 'member', 'demo-user');
  const demo = spawnScript('dist/examples/jobProgress.js', [`${api.url}/graphql`, token], {});
  assert.equal(await demo.exited, 0, demo.output());
  const updates = demo
    .output()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { status: string; stage: string | null; progress: number });
  const last = updates.at(-1)!;
  assert.deepEqual([last.status, last.stage, last.progress], ['SUCCEEDED', 'INDEXING', 100]);
  const progress = updates.map((u) => u.progress);
  assert.deepEqual(
    progress,
    [...progress].sort((a, b) => a - b),
    'progress only goes up',
  );
});

for (const script of ['jobsDemo', 'jobProgress']) {
  it(`${script} refuses to run without a URL and a token`, async () => {
    const demo = spawnScript(`dist/examples/${script}.js`, [], {});
    assert.equal(await demo.exited, 64);
    assert.match(demo.output(), /usage:/);
  });
}
