/**
 * `node dist/worker/main.js`: the worker process. It connects as
 * heimdex_worker (WORKER_DATABASE_URL, or derived from DATABASE_URL in local
 * mode) to a database `migrate` has already prepared; SIGTERM/SIGINT drain it
 * and exit 0.
 */
import { loadConfig, maskUrl, summarizeConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { roleUrl } from '../server/db/roleUrls.js';
import { runMain } from '../server/bin/runMain.js';
import { startWorker } from './runner.js';

await runMain('worker', async ({ onShutdown, shutdown }) => {
  const config = loadConfig();
  const logger = createLogger({ ...config, service: 'heimdex-worker' });
  const url = roleUrl(config.database, 'worker');
  logger.info({ config: summarizeConfig(config), url: maskUrl(url) }, 'starting worker');
  const worker = await startWorker({
    connectionString: url,
    config,
    logger,
  });
  onShutdown(worker.stop);
  const ended = await Promise.race([
    shutdown.then(() => null),
    worker.done.then(
      () => new Error('the worker stopped without being asked to'),
      (err: unknown) => err,
    ),
  ]);
  if (ended) throw ended;
});
