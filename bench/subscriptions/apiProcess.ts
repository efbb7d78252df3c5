/**
 * The API as bench:subscriptions runs it: `createApi` in a process of its
 * own (so its memory and CPU are its own), configured from the environment
 * like `dist/server/bin/api.js`, and answering the benchmark over IPC:
 * `sample` (after a full GC when run with --expose-gc) returns its RSS,
 * heap, CPU time and the fan-out's counters; `stop` stops it gracefully.
 */
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { roleUrl } from '../../runtime/db/roleUrls.js';
import { createApi } from '../../server/createApi.js';

export interface ApiSample {
  rssBytes: number;
  heapUsedBytes: number;
  cpuMs: number;
  sockets: number;
  subscriptions: number;
  notifications: number;
  reReads: number;
  reads: number;
  offers: number;
}

export type ApiMessage =
  { type: 'listening'; port: number } | { type: 'sample'; sample: ApiSample };

const config = loadConfig();
const logger = createLogger({ ...config, service: 'heimdex-api-bench' });
const api = await createApi(config, roleUrl(config.database, 'api'), logger);
const { port } = await api.listen(0, '127.0.0.1');
const send = (message: ApiMessage) => process.send!(message);

process.on('message', (message: { type: 'sample' | 'stop' }) => {
  if (message.type === 'stop') {
    void api.stop().then(() => process.exit(0));
    return;
  }
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  const { user, system } = process.cpuUsage();
  const { stats } = api.subscriptions.fanout;
  send({
    type: 'sample',
    sample: {
      rssBytes: rss,
      heapUsedBytes: heapUsed,
      cpuMs: (user + system) / 1000,
      sockets: api.subscriptions.sockets,
      subscriptions: api.subscriptions.fanout.size,
      ...stats,
    },
  });
});
process.on('disconnect', () => void api.stop().then(() => process.exit(0)));
send({ type: 'listening', port });
