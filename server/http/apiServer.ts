/**
 * The API's HTTP server: routing (`/graphql` takes GET for queries and POST,
 * with CORS for the allowed origins; the IDE for browsers where it is on), a request id on every response, one access
 * log line per request, and a graceful stop (refuse new work, let in-flight
 * requests finish up to a bound, then close).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../runtime/logger.js';
import type { ReadinessCheck } from '../db/readiness.js';
import { genericMessage } from '../../runtime/errors/errorCodes.js';
import { handleGraphql, type GraphqlHandlerDeps } from './graphqlHandler.js';
import { sendHealth, sendReadiness } from './health.js';
import { sendJson } from '../../runtime/http/sendJson.js';
import { sendGraphqlError } from './sendGraphqlError.js';
import { RequestLog, roundMs } from './requestLog.js';
import { outcomeOf } from './responseOutcome.js';
import { corsHandler } from './cors.js';
import { IDE_STATIC_PATH, type Ide } from './ide.js';
import { serverTimeoutOptions, type ServerTimeouts } from './serverTimeouts.js';
import { RequestTrace } from './requestTrace.js';
import type { Tracer } from '@opentelemetry/api';

export interface ApiServerDeps extends GraphqlHandlerDeps {
  logger: Logger;
  readiness: ReadinessCheck;
  shutdownTimeoutMs: number;
  timeouts: ServerTimeouts;
  /** A /graphql request slower than this is logged at warn. */
  slowRequestMs: number;
  /** Origins whose pages may call /graphql (server/http/cors.ts). */
  corsOrigins: readonly string[];
  /** The GraphQL IDE for browsers (server/http/ide.ts); unset: off. */
  ide?: Ide | undefined;
  /** Set only when tracing is on (runtime/tracing/startTracing.ts). */
  tracer?: Tracer | undefined;
}

export interface ApiServer {
  server: Server;
  /** Stops accepting requests and waits for in-flight ones (bounded); then stops Apollo. */
  stop(): Promise<void>;
}

export function createApiServer(deps: ApiServerDeps): ApiServer {
  let stopping = false;
  const cors = corsHandler(deps.corsOrigins);

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    log: RequestLog,
    trace: RequestTrace | undefined,
  ) {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path === '/graphql') {
      // Before CORS: the page (with its token) is for this origin only.
      if (deps.ide?.wants(req)) return deps.ide.page(req, res);
      if (cors(req, res)) return;
      if (req.method === 'POST' || req.method === 'GET')
        return handleGraphql(req, res, deps, log, trace);
      return sendJson(res, 405, { error: 'use GET or POST' }, { allow: 'GET, POST' });
    }
    if (deps.ide && req.method === 'GET' && path.startsWith(IDE_STATIC_PATH)) {
      return deps.ide.asset(req, res);
    }
    if (req.method === 'GET' && path === '/healthz') return sendHealth(res);
    if (req.method === 'GET' && path === '/readyz') {
      return sendReadiness(res, deps.readiness, stopping);
    }
    return sendJson(res, 404, { error: 'not found' });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const log = new RequestLog(deps.logger, randomUUID());
    const trace = deps.tracer && new RequestTrace(deps.tracer, req, log.requestId);
    // From a log line to its trace: the trace id is in every line of the request.
    if (trace) log.bind({ traceId: trace.traceId });
    res.setHeader('x-request-id', log.requestId);
    if (stopping) res.setHeader('connection', 'close');
    try {
      await route(req, res, log, trace);
    } catch (err) {
      if (req.destroyed) {
        log.logger.debug({ err }, 'client went away');
        return;
      }
      const errorId = randomUUID();
      log.logger.error({ err, errorId }, 'request failed');
      if (res.headersSent) res.destroy();
      else {
        const message = `${genericMessage('INTERNAL_SERVER_ERROR')} (error id ${errorId})`;
        sendGraphqlError(req, res, 500, 'INTERNAL_SERVER_ERROR', message);
      }
    } finally {
      trace?.end(res.statusCode);
      logRequest(req, res, log, performance.now() - started);
    }
  }

  /**
   * One line per request: for /graphql at info (warn, as `slow request`,
   * over SLOW_REQUEST_MS) with the operation, its cost, the outcome code, the
   * org (bound earlier) and the time in the transaction; never the query
   * string, which may hold variables. Other paths at debug. The same
   * observation goes to the metrics, for GraphQL requests.
   */
  function logRequest(req: IncomingMessage, res: ServerResponse, log: RequestLog, ms: number) {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const graphql = path === '/graphql';
    const outcome = outcomeOf(res) ?? (res.statusCode < 400 ? 'OK' : `HTTP_${res.statusCode}`);
    if (log.graphql && deps.metrics) {
      const { operationName, operationType, dbMs } = log.summary;
      deps.metrics.request({
        operationName,
        operationType,
        outcome,
        seconds: ms / 1000,
        dbSeconds: dbMs === undefined ? undefined : dbMs / 1000,
      });
    }
    // A refusal we held on purpose is not slow: only our own work counts.
    const slow = graphql && ms - (log.summary.heldMs ?? 0) > deps.slowRequestMs;
    const level = slow ? 'warn' : graphql ? 'info' : 'debug';
    if (!log.enabled(level)) return;
    const entry = {
      method: req.method,
      path,
      status: res.statusCode,
      durationMs: roundMs(ms),
      ...(graphql && { outcome, ...log.summary }),
    };
    log.logger[level](entry, slow ? 'slow request' : 'request');
  }

  const server = createServer(serverTimeoutOptions(deps.timeouts), (req, res) => {
    void handle(req, res);
  });

  let stopped: Promise<void> | undefined;
  return {
    server,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), deps.shutdownTimeoutMs);
        await closed;
        clearTimeout(force);
        await deps.apollo.stop();
      })();
      return stopped;
    },
  };
}
