/**
 * `node dist/worker/main.js`: the worker process. It connects as
 * heimdex_worker (WORKER_DATABASE_URL, or derived from DATABASE_URL in local
 * mode) to a database `migrate` has already prepared, and with DB_POOLER=transaction
 * also to DIRECT_DATABASE_URL for its LISTEN; SIGTERM/SIGINT drain it
 * and exit 0. With WORKER_HEALTH_PORT set it also serves GET /healthz there;
 * with WORKER_METRICS_PORT (or METRICS_PORT), GET /metrics for Prometheus.
 */
import { loadConfig, maskUrl, summarizeConfig } from '../runtime/config.js';
import { createLogger } from '../runtime/logger.js';
import { directRoleUrl, roleUrl } from '../runtime/db/roleUrls.js';
import { runMain } from '../runtime/process/runMain.js';
import { startWorker, type RunningWorker } from './startWorker.js';
import { startHealthServer } from './healthServer.js';
import { startMetricsServer } from '../runtime/metrics/metricsServer.js';
import { startTracing } from '../runtime/tracing/startTracing.js';

await runMain('worker', async ({ onShutdown, shutdown }) => {
  const config = loadConfig();
  const logger = createLogger({ ...config, service: 'heimdex-worker' });
  const url = roleUrl(config.database, 'worker');
  const directUrl = directRoleUrl(config.database, 'worker');
  logger.info(
    { config: summarizeConfig(config), url: maskUrl(url), directUrl: maskUrl(directUrl) },
    'starting worker',
  );

  const tracing =
    config.tracing &&
    (await startTracing(
      config.tracing,
      { name: 'heimdex-worker', version: config.version },
      logger,
    ));
  // Cleanups run last-registered first: the spans of the last jobs are exported after the drain.
  if (tracing) onShutdown(tracing.shutdown);

  let worker: RunningWorker | undefined = undefined; // set once it runs; probes read it
  if (config.worker.healthPort !== undefined) {
    // Up before the worker (503 while it starts), closed after it has
    // stopped (503 while it drains): cleanups run last-registered first.
    const health = await startHealthServer({
      host: config.http.host,
      port: config.worker.healthPort,
      health: () => worker?.health(),
      logger,
    });
    onShutdown(health.close);
  }
  const metricsPort = config.metrics.workerPort;
  worker = await startWorker({
    connectionString: url,
    directConnectionString: directUrl,
    config,
    logger,
    collectMetrics: metricsPort !== undefined,
    tracer: tracing?.tracer,
  });
  onShutdown(worker.stop);
  if (worker.metrics && metricsPort !== undefined) {
    const metrics = await startMetricsServer({
      registry: worker.metrics.registry,
      host: config.http.host,
      port: metricsPort,
      logger,
    });
    onShutdown(metrics.close);
  }
  const ended = await Promise.race([
    shutdown.then(() => null),
    worker.done.then(
      () => new Error('the worker stopped without being asked to'),
      (err: unknown) => err,
    ),
  ]);
  if (ended) throw ended;
});
