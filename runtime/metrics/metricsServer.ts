/**
 * A process's Prometheus endpoint: `GET /metrics` in the text format on a
 * port of its own (METRICS_PORT; the worker's under `npm start`:
 * WORKER_METRICS_PORT), never the API's public port. Scrapes are for the
 * platform's collector (docs/operations.md, infra/README.md), not for clients.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { sendJson } from '../http/sendJson.js';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: {
  registry: Registry;
  host: string;
  port: number;
  logger: Logger;
}): Promise<MetricsServer> {
  const { registry, logger } = options;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
        res.end(text);
      },
      (err: unknown) => {
        logger.warn({ err }, 'metrics scrape failed');
        sendJson(res, 500, { error: 'metrics unavailable' });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ host: options.host, port }, 'metrics listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
