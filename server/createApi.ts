/**
 * Wires the API from its configuration: the authenticator pool (shared
 * between orgs in turn, runtime/db/fairPool.ts), token
 * verification, the gateway schema (introspected once at start-up), Apollo
 * and the HTTP server. Used by `server/bin/api.ts`, the tests and the
 * benchmark alike.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { ConfigError, isLoopbackHost, type Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import { directRoleUrl, readReplicaUrl } from '../runtime/db/roleUrls.js';
import { FairPool } from '../runtime/db/fairPool.js';
import { ReadReplica } from './db/readReplica.js';
import { createTokenVerifier } from './auth/tokenVerifier.js';
import { createApiPool } from './db/apiPool.js';
import { createReadinessCheck } from './db/readiness.js';
import { buildGatewaySchema } from '../schema/buildGatewaySchema.js';
import { createApolloServer, exposesSchema } from './http/apolloServer.js';
import { loadPersistedOperations } from './http/persistedOperations.js';
import { createApiServer } from './http/apiServer.js';
import { createIde, exampleOperations } from './http/ide.js';
import { ApiMetrics } from './http/apiMetrics.js';
import { startMetricsServer, type MetricsServer } from '../runtime/metrics/metricsServer.js';
import { RateLimits } from './http/rateLimits.js';
import { CostAdmission } from '../runtime/admission/costAdmission.js';
import { startTracing } from '../runtime/tracing/startTracing.js';
import {
  startSubscriptionServer,
  type SubscriptionServer,
} from './subscriptions/subscriptionServer.js';

export interface Api {
  server: Server;
  /** The authenticator pool underneath `requestPool` (a connection taken here bypasses the turns). */
  pool: pg.Pool;
  /** Where requests get their connections: per-org queues, in turn, a share each. */
  requestPool: FairPool;
  /** Where requests wait for their turn by cost, before any work. */
  admission: CostAdmission;
  /** Prometheus metrics, served on METRICS_PORT; none without it. */
  metrics: ApiMetrics | undefined;
  /** GraphQL subscriptions over WebSocket on the same server. */
  subscriptions: SubscriptionServer;
  /** Listens on `port` (0: any free port) and resolves the address. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Graceful stop: close sockets (1001), drain requests, stop Apollo, close the key set and the pool. */
  stop(): Promise<void>;
}

export async function createApi(config: Config, apiUrl: string, logger: Logger): Promise<Api> {
  const pool = createApiPool(config.database, apiUrl, logger);
  const requestPool = new FairPool(pool, {
    max: config.database.poolMax,
    maxPerOrg: config.database.poolMaxPerOrg,
    connectionTimeoutMs: config.database.connectionTimeoutMs,
    fair: config.database.poolFair,
  });
  const readinessPool = createApiPool(config.database, apiUrl, logger, 'readiness');
  const replicaUrl = readReplicaUrl(config.database);
  const replica = replicaUrl ? new ReadReplica(config.database, replicaUrl, logger) : undefined;
  const closePools = async (): Promise<void> => {
    await Promise.all([requestPool.end(), readinessPool.end(), replica?.end()]);
  };
  const metrics =
    config.metrics.apiPort === undefined
      ? undefined
      : new ApiMetrics(() => {
          // Requests wait in the fair pool's per-org queues, not in pg's.
          let waiting = pool.waitingCount;
          for (const org of requestPool.usage().values()) waiting += org.waiting;
          return { total: pool.totalCount, idle: pool.idleCount, waiting };
        });
  const verifier = createTokenVerifier(config.auth, logger, (how) => metrics?.tokenVerified(how));
  let metricsServer: MetricsServer | undefined;
  const rateLimits = config.limits.rate && new RateLimits(config.limits.rate);
  const admission = new CostAdmission({
    maxCost: config.limits.admission.maxNodes,
    maxCostPerOrg: config.limits.admission.maxNodesPerOrg,
    timeoutMs: config.database.connectionTimeoutMs,
  });
  const tracing =
    config.tracing &&
    (await startTracing(config.tracing, { name: 'heimdex-api', version: config.version }, logger));
  try {
    const gateway = await buildGatewaySchema(pool, config.jobs);
    const { persistedOperationsFile, persistedOperationsOnly } = config.http;
    const persisted = persistedOperationsFile
      ? await loadPersistedOperations(persistedOperationsFile)
      : undefined;
    const apollo = await createApolloServer(
      gateway,
      config.env,
      logger,
      { maxQueryNodes: config.limits.maxQueryNodes, rateLimits },
      persisted?.store,
    );
    const api = createApiServer({
      apollo,
      verifier,
      pool: requestPool,
      logger,
      readiness: await createReadinessCheck(readinessPool, replica),
      replica,
      statementTimeoutMs: config.database.statementTimeoutMs,
      preparedStatements: config.database.pooler === 'none',
      maxBodyBytes: config.http.maxBodyBytes,
      allowList: persistedOperationsOnly ? persisted : undefined,
      rateLimits,
      admission,
      trustedProxyHops: config.limits.trustedProxyHops,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      timeouts: config.http.timeouts,
      corsOrigins: config.http.corsOrigins,
      metrics,
      slowRequestMs: config.http.slowRequestMs,
      ide: config.http.ide
        ? createIde({
            devSecret: config.auth.provider === 'dev' ? config.auth.secret : undefined,
            examples: await exampleOperations(),
          })
        : undefined,
      tracer: tracing?.tracer,
    });
    const subscriptions = await startSubscriptionServer({
      server: api.server,
      gateway,
      verifier,
      // Re-reads go to the primary: a notification means a commit the replica may not show yet.
      pool: requestPool,
      // LISTEN is session state: straight to PostgreSQL when a transaction pooler is in between.
      listenUrl: directRoleUrl(config.database, 'api', apiUrl),
      preparedStatements: config.database.pooler === 'none',
      logger,
      limits: config.websocket,
      maxQueryNodes: config.limits.maxQueryNodes,
      rateLimits,
      trustedProxyHops: config.limits.trustedProxyHops,
      hideSuggestions: !exposesSchema(config.env),
      statementTimeoutMs: config.database.statementTimeoutMs,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      persisted,
      persistedOnly: persistedOperationsOnly,
      metrics,
    });
    if (metrics && config.metrics.apiPort !== undefined) {
      metricsServer = await startMetricsServer({
        registry: metrics.registry,
        host: config.http.host,
        port: config.metrics.apiPort,
        logger,
      });
    }
    let stopped: Promise<void> | undefined;
    return {
      server: api.server,
      metrics,
      pool,
      requestPool,
      admission,
      subscriptions,
      listen: (port, host) =>
        new Promise((resolve, reject) => {
          // Config refuses HOST already; this also holds for a host given here directly.
          if (config.auth.provider === 'dev' && !isLoopbackHost(host)) {
            reject(new ConfigError(`dev authentication listens on loopback only, not ${host}`));
            return;
          }
          api.server.once('error', reject);
          api.server.listen(port, host, () => resolve(api.server.address() as AddressInfo));
        }),
      stop() {
        stopped ??= (async () => {
          // Sockets close with 1001 while HTTP drains; readiness already says no.
          await Promise.all([subscriptions.stop(), api.stop(), metricsServer?.close()]);
          verifier.close();
          await closePools();
          // Last: the spans of the requests that just drained are exported.
          await tracing?.shutdown();
        })();
        return stopped;
      },
    };
  } catch (err) {
    await metricsServer?.close();
    verifier.close();
    await closePools();
    await tracing?.shutdown();
    throw err;
  }
}
