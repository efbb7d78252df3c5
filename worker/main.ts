/**
 * `node dist/worker/main.js`: the worker process. It connects as
 * heimdex_worker (WORKER_DATABASE_URL, or derived from DATABASE_URL in local
 * mode) to a database `migrate` has already prepared; SIGTERM/SIGINT drain it
 * and exit 0.
 */
import { ConfigError, loadConfig, maskUrl, summarizeConfig } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { resolveRoleUrls } from '../server/db/roleUrls.js';
import { runMain } from '../server/bin/runMain.js';
import { startWorker } from './runner.js';

await runMain('worker', async ({ onShutdown, shutdown }) => {
  const config = loadConfig();
  const logger = createLogger({ ...config, service: 'heimdex-worker' });
  if (!config.database.adminUrl && !config.database.workerUrl) {
    throw new ConfigError(
      'Invalid configuration:\n  WORKER_DATABASE_URL: missing; the worker never starts a database of its own, so set it (or DATABASE_URL in local mode, as `npm start` does)',
    );
  }
  const url = config.database.workerUrl ?? resolveRoleUrls(config.database).worker;
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
