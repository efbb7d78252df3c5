/**
 * Creates a job over HTTP, then prints its progress live over a WebSocket
 * until it ends, with the generated types:
 *
 *   npm run build && node dist/examples/jobProgress.js http://127.0.0.1:4000/graphql "$TOKEN"
 *
 * (`npm start` prints a URL and a member-or-admin token and runs a worker.)
 * Prints one JSON line per update, as it arrives.
 */
import { createClient } from './client.js';
import { createSocketClient } from './socketClient.js';
import { CreateJobDocument, JobProgressDocument } from './generated/graphql.js';

async function main(url: string, token: string): Promise<void> {
  const heimdex = createClient({ url, token });
  const live = createSocketClient({ url: url.replace(/^http/, 'ws'), token });
  try {
    const { createJob } = await heimdex.request(CreateJobDocument, {
      input: { type: 'MOCK_PROCESS' },
    });
    const started = performance.now();
    for await (const { jobUpdated } of live.subscribe(JobProgressDocument, {
      id: createJob.job.id,
    })) {
      if (!jobUpdated) throw new Error(`job ${createJob.job.id} is not visible to this token`);
      const { id, status, stage, progress } = jobUpdated;
      const ms = Math.round(performance.now() - started);
      process.stdout.write(`${JSON.stringify({ ms, id, status, stage, progress })}\n`);
    }
  } finally {
    await live.close();
  }
}

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  process.stderr.write('usage: node dist/examples/jobProgress.js <graphql url> <token>\n');
  process.exit(64);
}
await main(url, token);
