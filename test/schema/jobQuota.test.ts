/**
 * What an org may ask of the queue: at most JOBS_MAX_ACTIVE_PER_ORG queued
 * plus running jobs (createJob and retryJob beyond it are refused with
 * QUOTA_EXCEEDED and write nothing), and maxAttempts lowered to
 * JOBS_MAX_ATTEMPTS.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { startTestApi, type TestApi } from '../support/testApi.js';
import { tokenFor } from '../support/tokens.js';
import { codes, graphql } from '../support/graphql.js';
import { adminQuery, queueJobs, setJobStatus } from '../support/adminSql.js';

const ORG = randomUUID();
const OTHER_ORG = randomUUID();
let db: TestDatabase;
let api: TestApi;
let member: string;
let secret: string;

const CREATE = `mutation($input: CreateJobInput!) {
  createJob(input: $input) { created job { id status maxAttempts } }
}`;
const RETRY = 'mutation($id: UUID!) { retryJob(id: $id) { id status } }';

async function create(input: Record<string, unknown> = {}, token = member) {
  const { body } = await graphql(api.http(), token, CREATE, {
    input: { type: 'MOCK_PROCESS', ...input },
  });
  const job = (body.data?.['createJob'] as { job: { id: string; maxAttempts: number } } | null)
    ?.job;
  return { body, job };
}

/** Everything a create or a retry writes, in every org. */
async function everything(): Promise<unknown> {
  return adminQuery(
    db,
    `select (select json_agg(j order by id) from app_public.jobs j) as jobs,
            (select count(*)::int from app_public.job_events) as events,
            (select count(*)::int from app_public.audit_events) as audits,
            (select json_agg(q order by id) from graphile_worker._private_jobs q) as queue`,
  );
}

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, { env: { JOBS_MAX_ACTIVE_PER_ORG: '3', JOBS_MAX_ATTEMPTS: '2' } });
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  secret = api.config.auth.secret;
  member = await tokenFor(secret, ORG, 'member', 'mia');
});
after(async () => {
  await api.stop();
  await db.drop();
});

describe('the quota of active jobs per org', () => {
  it('refuses createJob over it with QUOTA_EXCEEDED, writing nothing; other orgs are not affected', async () => {
    const made = [await create(), await create(), await create()];
    assert.ok(made.every((m) => m.job?.id));
    const before = await everything();
    const refused = await create({ idempotencyKey: 'over-quota' });
    assert.deepEqual(codes(refused.body), ['QUOTA_EXCEEDED']);
    assert.match(
      refused.body.errors![0]!.message,
      /most active \(queued or running\) jobs allowed/,
    );
    assert.equal(refused.job, undefined);
    assert.deepEqual(await everything(), before, 'nothing written');

    const other = await tokenFor(secret, OTHER_ORG, 'member', 'olga');
    assert.ok((await create({}, other)).job?.id, "another org's quota is its own");

    // running jobs count too; a finished one frees its place
    await setJobStatus(db, made[0]!.job!.id, ['running']);
    assert.deepEqual(codes((await create()).body), ['QUOTA_EXCEEDED']);
    await setJobStatus(db, made[0]!.job!.id, ['succeeded']);
    assert.ok((await create()).job?.id);
  });

  it('counts retryJob too: refused with QUOTA_EXCEEDED, the job stays as it was', async () => {
    const org = randomUUID();
    const token = await tokenFor(secret, org, 'member', 'rita');
    const dead = (await create({}, token)).job!.id;
    await setJobStatus(db, dead, ['running', 'dead_letter']);
    await create({}, token);
    await create({}, token);
    await create({}, token);
    const before = await everything();
    const { body } = await graphql(api.http(), token, RETRY, { id: dead });
    assert.deepEqual(codes(body), ['QUOTA_EXCEEDED']);
    assert.deepEqual(await everything(), before, 'nothing written');
  });
});

describe('maxAttempts', () => {
  it('is lowered to JOBS_MAX_ATTEMPTS, in the ledger and on the queue', async () => {
    const org = randomUUID();
    const token = await tokenFor(secret, org, 'member', 'max');
    const { job } = await create({ maxAttempts: 20 }, token);
    assert.equal(job?.maxAttempts, 2);
    assert.equal((await queueJobs(db, job!.id))[0]!['max_attempts'], 2);
    const { job: low } = await create({ maxAttempts: 1 }, token);
    assert.equal(low?.maxAttempts, 1);
  });

  it('lowers the default (3) too, when JOBS_MAX_ATTEMPTS is below it', async () => {
    const token = await tokenFor(secret, randomUUID(), 'member', 'max');
    const { job } = await create({}, token);
    assert.equal(job?.maxAttempts, 2);
    assert.equal((await queueJobs(db, job!.id))[0]!['max_attempts'], 2);
  });
});
