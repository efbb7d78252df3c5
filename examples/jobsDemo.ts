/**
 * Every example operation against a running API, with the generated types:
 *
 *   npm run build && node dist/examples/jobsDemo.js http://127.0.0.1:4000/graphql "$TOKEN"
 *
 * (`npm start` prints a URL and a member-or-admin token; a worker must be
 * running, as it is under `npm start`.) Prints one JSON line per step.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { createClient, HeimdexError, type HeimdexClient } from './client.js';
import {
  CancelJobDocument,
  CreateJobDocument,
  JobDocument,
  JobsDocument,
  RetryJobDocument,
  ViewerDocument,
  type JobQuery,
  type JobStatus,
} from './generated/graphql.js';

const FINISHED: JobStatus[] = ['SUCCEEDED', 'FAILED', 'DEAD_LETTER', 'CANCELED'];

function report(step: string, value: unknown): void {
  process.stdout.write(`${JSON.stringify({ step, value })}\n`);
}

/** Polls `job(id:)` until the job has finished, for up to `timeoutMs`. */
async function waitUntilFinished(
  heimdex: HeimdexClient,
  id: string,
  timeoutMs = 30_000,
): Promise<NonNullable<JobQuery['job']>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { job } = await heimdex.request(JobDocument, { id });
    if (!job) throw new Error(`job ${id} is not visible to this token`);
    if (FINISHED.includes(job.status)) return job;
    if (Date.now() > deadline)
      throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function main(url: string, token: string): Promise<void> {
  const heimdex = createClient({ url, token });

  const { viewer } = await heimdex.request(ViewerDocument);
  report('viewer', viewer);

  const run = randomUUID();
  const created = await heimdex.request(CreateJobDocument, {
    input: { type: 'MOCK_PROCESS', idempotencyKey: `demo-${run}` },
  });
  const again = await heimdex.request(CreateJobDocument, {
    input: { type: 'MOCK_PROCESS', idempotencyKey: `demo-${run}` },
  });
  report('createJob', { created: created.createJob, sameKeyAgain: again.createJob });

  const done = await waitUntilFinished(heimdex, created.createJob.job.id);
  report('job', {
    status: done.status,
    events: done.events.nodes.map((e) => `${e.prevStatus ?? '-'} -> ${e.nextStatus} ${e.stage}`),
  });

  const failing = await heimdex.request(CreateJobDocument, {
    input: { type: 'MOCK_PROCESS', failAtStage: 'EXTRACTING', maxAttempts: 1 },
  });
  const dead = await waitUntilFinished(heimdex, failing.createJob.job.id);
  const { retryJob } = await heimdex.request(RetryJobDocument, { id: dead.id });
  report('retryJob', { from: dead.status, lastErrorCode: dead.lastErrorCode, retried: retryJob });

  const toCancel = await heimdex.request(CreateJobDocument, { input: { type: 'MOCK_PROCESS' } });
  try {
    const { cancelJob } = await heimdex.request(CancelJobDocument, {
      id: toCancel.createJob.job.id,
    });
    report('cancelJob', cancelJob);
  } catch (err) {
    // The worker may have finished it first: a finished job cannot be canceled.
    if (!(err instanceof HeimdexError && err.code === 'CONFLICT')) throw err;
    report('cancelJob', { conflict: err.message });
  }

  let after: string | null | undefined;
  let pages = 0;
  let seen = 0;
  for (;;) {
    const { jobs } = await heimdex.request(JobsDocument, { first: 2, after });
    pages += 1;
    seen += jobs.nodes.length;
    if (!jobs.pageInfo.hasNextPage || pages >= 50) {
      report('jobs', { totalCount: jobs.totalCount, pages, seen });
      break;
    }
    after = jobs.pageInfo.endCursor;
  }
}

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  process.stderr.write('usage: node dist/examples/jobsDemo.js <graphql url> <token>\n');
  process.exit(64);
}
await main(url, token);
