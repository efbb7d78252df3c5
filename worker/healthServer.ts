/**
 * The worker's only HTTP: `GET /healthz`, for a platform that must see a
 * port (a Cloud Run service) and probes it. 200 while the worker runs and its
 * last heartbeat reached the database; 503 while it starts, once it is
 * stopping, or when the database is out of reach; 404 for anything else.
 * Started only when WORKER_HEALTH_PORT is set.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../runtime/logger.js';
import { sendJson } from '../runtime/http/sendJson.js';
import type { WorkerHealth } from './startWorker.js';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: {
  host: string;
  port: number;
  /** Read on every probe; undefined while the worker is still starting. */
  health: () => WorkerHealth | undefined;
  logger: Logger;
}): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method !== 'GET' || path !== '/healthz') {
      sendJson(res, 404, { status: 'not found' });
      return;
    }
    const health = options.health() ?? { ok: false, reason: 'starting' };
    if (health.ok) sendJson(res, 200, { status: 'ok' });
    else sendJson(res, 503, { status: 'unavailable', reason: health.reason });
  });
  // Probes are tiny and come every few seconds: drop idle sockets quickly.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 5_000;
  server.requestTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  options.logger.info({ host: options.host, port }, 'worker health endpoint listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
