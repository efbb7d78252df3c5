/**
 * GraphQL subscriptions over WebSocket (`graphql-transport-ws`, the
 * graphql-ws library) on the API's own HTTP server and path, `/graphql`.
 *
 * - Upgrade: only on /graphql, only from an allowed Origin (browsers always
 *   send one; clients that send none are not browsers and may connect).
 * - `connection_init` carries `{authorization: "Bearer <jwt>"}`, checked by
 *   the HTTP verifier with the same claims and role rules. Refused: closed
 *   4401 (4403 for a valid token without a usable org or role, 1013 when the
 *   key set is unreachable) before any subscription, and counted in
 *   heimdex_api_auth_failures_total by reason as HTTP refusals are. Accepted: the socket is
 *   closed 4401 at the token's `exp`; the client reconnects with a new one.
 * - Limits: sockets per user, subscriptions per socket, message size,
 *   keep-alive pings (a socket that misses a pong is dropped). With rate
 *   budgets on (server/http/rateLimits.ts), a subscription spends its cost
 *   (the nodes one update may return) from its org's and user's budgets
 *   when it starts; updates spend nothing (each is bounded by the sockets
 *   and subscriptions a user may hold). Failed `connection_init`s spend
 *   from their address's budget of bad tokens as HTTP requests do; once it
 *   is spent, only a token verified earlier passes, and other sockets are
 *   closed 1013 (try again later) without a signature check.
 * - Each subscription is planned (subscriptionDocuments.ts) and joins the
 *   fan-out (jobFanout.ts), fed by the process's one LISTEN connection.
 * - Stop: new upgrades are refused, every socket is closed with 1001 (going
 *   away; clients reconnect to another instance), then the LISTEN connection.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FairPool } from '../../runtime/db/fairPool.js';
import { WebSocketServer, type WebSocket } from 'ws';
import { handleProtocols } from 'graphql-ws';
import type { ExecutionArgs } from 'graphql';
import type { WebSocketConfig } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import { originAllowed as isAllowedOrigin } from '../../runtime/http/allowedOrigins.js';
import { AuthError } from '../auth/AuthError.js';
import type { RequestClaims } from '../auth/claims.js';
import type { TokenVerifier } from '../auth/tokenVerifier.js';
import type { GatewaySchema } from '../../schema/buildGatewaySchema.js';
import { clientError } from '../../schema/errors/toClientError.js';
import { clientAddress } from '../http/clientAddress.js';
import { pointsFor, type RateLimits } from '../http/rateLimits.js';
import { logRateLimited, rateLimitMessage } from '../http/rateLimitResponse.js';
import type { PersistedOperations } from '../http/persistedOperations.js';
import type { ApiMetrics } from '../http/apiMetrics.js';
import { connectionToken } from './connectionToken.js';
import { JobFanout } from './jobFanout.js';
import { JobNotificationListener } from './jobNotificationListener.js';
import { createJobReader } from './jobReader.js';
import { LiveSubscription } from './liveSubscription.js';
import { SubscriptionDocuments } from './subscriptionDocuments.js';
import { serveGraphqlWs } from './serveGraphqlWs.js';

/** WebSocket close codes this server uses. */
export const CLOSE_CODES = {
  goingAway: 1001,
  policyViolation: 1008,
  tryAgainLater: 1013,
  unauthorized: 4401,
  forbidden: 4403,
} as const;

/** How often the LISTEN connection proves it is alive. */
const LISTEN_HEARTBEAT_MS = 10_000;
/** setTimeout's longest delay; a token valid for longer is re-armed on reconnect anyway. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SubscriptionServerDeps {
  server: Server;
  gateway: GatewaySchema;
  verifier: TokenVerifier;
  /** The re-reads' connections, as requests get them. */
  pool: FairPool;
  /** The LISTEN connection's URL (a direct connection, never through a transaction pooler). */
  listenUrl: string;
  logger: Logger;
  limits: WebSocketConfig;
  /** Subscription documents over this node count are refused (schema/limits/queryCost.ts). */
  maxQueryNodes: number;
  /** Per-minute budgets subscriptions spend from; none with RATE_LIMIT=off. */
  rateLimits: RateLimits | undefined;
  /** Proxies whose X-Forwarded-For entries are trusted (server/http/clientAddress.ts). */
  trustedProxyHops: number;
  /** Outside local and dev: validation errors do not suggest field names. */
  hideSuggestions: boolean;
  statementTimeoutMs: number;
  /** False behind a transaction pooler: the re-reads' statements run unnamed. */
  preparedStatements: boolean;
  shutdownTimeoutMs: number;
  persisted?: PersistedOperations | undefined;
  persistedOnly: boolean;
  /** Prometheus metrics (server/http/apiMetrics.ts); none without METRICS_PORT. */
  metrics?: ApiMetrics | undefined;
}

export interface SubscriptionServer {
  fanout: JobFanout;
  listener: JobNotificationListener;
  /** Open sockets now. */
  readonly sockets: number;
  stop(): Promise<void>;
}

interface Session {
  claims: RequestClaims;
  expiry: NodeJS.Timeout;
}

function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function closeCodeFor(error: AuthError): number {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return CLOSE_CODES.unauthorized;
    case 'FORBIDDEN':
      return CLOSE_CODES.forbidden;
    case 'SERVICE_UNAVAILABLE':
      return CLOSE_CODES.tryAgainLater;
  }
}

export async function startSubscriptionServer(
  deps: SubscriptionServerDeps,
): Promise<SubscriptionServer> {
  const { limits, logger } = deps;
  const log = logger.child({ component: 'subscriptions' });
  const schema = deps.gateway.publicSchema;
  const fanout = new JobFanout(
    createJobReader(
      deps.gateway.router,
      deps.pool,
      logger,
      deps.statementTimeoutMs,
      deps.preparedStatements,
    ),
    log,
  );
  const listener = new JobNotificationListener({
    url: deps.listenUrl,
    logger: log,
    heartbeatMs: LISTEN_HEARTBEAT_MS,
    onNotification: (notification) => fanout.notify(notification),
    onResync: (since) => void fanout.resync(since),
  });
  const documents = new SubscriptionDocuments(schema, {
    maxQueryNodes: deps.maxQueryNodes,
    hideSuggestions: deps.hideSuggestions,
    persisted: deps.persisted,
    persistedOnly: deps.persistedOnly,
  });
  const sessions = new WeakMap<WebSocket, Session>();
  const socketsPerUser = new Map<string, number>();
  let stopping = false;

  // Clients that send no Origin are not browsers: only a browser's page can be another site's.
  const originAllowed = (origin: string | undefined): boolean =>
    origin === undefined || isAllowedOrigin(limits.allowedOrigins, origin);

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxMessageBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/graphql') return refuseUpgrade(socket, 404, 'Not Found');
    if (stopping) return refuseUpgrade(socket, 503, 'Service Unavailable');
    if (!originAllowed(req.headers.origin)) {
      log.warn(
        {
          event: 'ws_refused',
          reason: 'origin',
          origin: req.headers.origin,
          ip: req.socket.remoteAddress,
        },
        'ws_refused',
      );
      return refuseUpgrade(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  deps.server.on('upgrade', onUpgrade);

  const release = (socket: WebSocket): void => {
    const session = sessions.get(socket);
    if (!session) return;
    sessions.delete(socket);
    clearTimeout(session.expiry);
    const left = (socketsPerUser.get(session.claims.sub) ?? 1) - 1;
    if (left > 0) socketsPerUser.set(session.claims.sub, left);
    else socketsPerUser.delete(session.claims.sub);
  };

  serveGraphqlWs(
    wss,
    {
      async onConnect(ctx) {
        const { socket, request } = ctx.extra;
        const { rateLimits } = deps;
        const address = clientAddress(request, deps.trustedProxyHops);
        let claims: RequestClaims;
        let endsAtMs: number;
        try {
          const token = connectionToken(ctx.connectionParams);
          const spent = rateLimits && (await rateLimits.badTokensSpent(address));
          if (spent && !deps.verifier.cached(token)) {
            logRateLimited(log, spent, { ip: address, transport: 'websocket' });
            socket.close(CLOSE_CODES.tryAgainLater, rateLimitMessage(spent).slice(0, 120));
            return false;
          }
          ({ claims, endsAtMs } = await deps.verifier.verifyWithExpiry(token));
          if (endsAtMs <= Date.now()) throw new AuthError('expired');
        } catch (err) {
          if (!(err instanceof AuthError)) throw err;
          // Counted here only: an upgrade never passes the HTTP handler's authentication.
          deps.metrics?.authFailure(err.reason);
          if (err.code === 'UNAUTHENTICATED') await rateLimits?.badToken(address);
          log.warn(
            { event: 'auth_failed', reason: err.reason, transport: 'websocket', ip: address },
            'auth_failed',
          );
          socket.close(
            closeCodeFor(err),
            err.code === 'UNAUTHENTICATED' ? 'Unauthorized' : err.code,
          );
          return false;
        }
        // The socket may have gone while the token was checked.
        if (socket.readyState !== socket.OPEN || stopping) return false;
        const open = socketsPerUser.get(claims.sub) ?? 0;
        if (open >= limits.maxSocketsPerUser) {
          log.warn(
            {
              event: 'ws_refused',
              reason: 'sockets_per_user',
              sub: claims.sub,
              orgId: claims.orgId,
            },
            'ws_refused',
          );
          socket.close(
            CLOSE_CODES.policyViolation,
            `Too many sockets for this user (WS_MAX_SOCKETS_PER_USER=${limits.maxSocketsPerUser})`,
          );
          return false;
        }
        socketsPerUser.set(claims.sub, open + 1);
        const expiry = setTimeout(
          () => socket.close(CLOSE_CODES.unauthorized, 'Token expired'),
          Math.min(endsAtMs - Date.now(), MAX_TIMER_MS),
        );
        sessions.set(socket, { claims, expiry });
        log.debug({ orgId: claims.orgId, sub: claims.sub, role: claims.role }, 'socket connected');
        return true;
      },
      onClose(ctx) {
        release(ctx.extra.socket);
      },
      async onSubscribe(ctx, _id, payload) {
        const session = sessions.get(ctx.extra.socket);
        if (!session) return [clientError('UNAUTHENTICATED', 'The socket is not authenticated.')];
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptions) {
          return [
            clientError(
              'BAD_USER_INPUT',
              `This socket already holds ${limits.maxSubscriptions} subscriptions (WS_MAX_SUBSCRIPTIONS): complete one, or open another socket.`,
            ),
          ];
        }
        const prepared = await documents.prepare(payload);
        if ('errors' in prepared) return [...prepared.errors];
        const { plan, target, cost } = prepared;
        const variables = payload.variables ?? {};
        if (deps.rateLimits) {
          const points = pointsFor(cost);
          const state = await deps.rateLimits.spend(session.claims, points);
          if (state.refusedBy) {
            logRateLimited(log, state, { orgId: session.claims.orgId, sub: session.claims.sub });
            const message = rateLimitMessage(state, points);
            return [clientError('RATE_LIMITED', message, undefined, undefined, { points })];
          }
        }
        const args: ExecutionArgs = {
          schema,
          document: { kind: plan.document.kind, definitions: [plan.operation] },
          operationName: plan.operationName,
          variableValues: variables,
          contextValue: new LiveSubscription(session.claims, plan, variables, target),
        };
        return args;
      },
      subscribe(args) {
        const sub = args.contextValue as LiveSubscription;
        fanout.add(sub);
        return sub;
      },
    },
    { keepAliveMs: limits.keepAliveMs, logger: log },
  );

  await listener.start();

  let stopped: Promise<void> | undefined;
  return {
    fanout,
    listener,
    get sockets() {
      return wss.clients.size;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        deps.server.off('upgrade', onUpgrade);
        const closed = [...wss.clients].map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === socket.CLOSED) return resolve();
              socket.once('close', () => resolve());
              socket.close(CLOSE_CODES.goingAway, 'Server shutting down');
            }),
        );
        const force = setTimeout(() => {
          for (const socket of wss.clients) socket.terminate();
        }, deps.shutdownTimeoutMs);
        await Promise.all(closed);
        clearTimeout(force);
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await fanout.drain();
        await listener.stop();
      })();
      return stopped;
    },
  };
}
