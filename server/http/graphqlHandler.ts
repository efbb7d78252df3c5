/**
 * `POST /graphql` (and `GET /graphql` for queries): authenticate first (a refused token never reaches the
 * database), refuse a caller whose rate budget is already spent, then hand
 * the request to Apollo with a context holding the verified claims, the
 * request's transaction, which is always settled before the response
 * leaves, and its turn by cost, given back once the response is written. Every answer to an authenticated request carries RateLimit-*.
 * With a read replica, a query reads there unless its Heimdex-Consistency
 * header asks for a position the replica has not replayed; a committed
 * mutation answers with that header (server/db/walPosition.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout } from 'node:timers/promises';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { FairPool } from '../../runtime/db/fairPool.js';
import type { CostAdmission } from '../../runtime/admission/costAdmission.js';
import { AuthError } from '../auth/AuthError.js';
import { bearerToken } from '../auth/bearerToken.js';
import type { TokenVerifier } from '../auth/tokenVerifier.js';
import type { RequestClaims } from '../auth/claims.js';
import { sendAuthFailure } from './authFailure.js';
import type { PersistedOperations } from './persistedOperations.js';
import { BodyTooLargeError, readBody } from './readBody.js';
import { sendGraphqlError } from './sendGraphqlError.js';
import { roundMs, type RequestLog } from './requestLog.js';
import { RequestContext } from './requestContext.js';
import { RequestAdmission } from './requestAdmission.js';
import type { ReadReplica } from '../db/readReplica.js';
import {
  BadConsistencyHeaderError,
  CONSISTENCY_HEADER,
  requiredWalPosition,
} from '../db/walPosition.js';
import { clientAddress } from './clientAddress.js';
import { recordOutcome } from './responseOutcome.js';
import type { RateLimits } from './rateLimits.js';
import type { ApiMetrics } from './apiMetrics.js';
import { spanFailed, type RequestTrace } from './requestTrace.js';
import {
  logRateLimited,
  rateLimitHeaders as headersFor,
  sendRateLimited,
} from './rateLimitResponse.js';

export interface GraphqlHandlerDeps {
  apollo: ApolloServer<RequestContext>;
  verifier: TokenVerifier;
  /** Request transactions' connections, shared between orgs in turn. */
  pool: FairPool;
  /** READ_DATABASE_URL: queries read there when it is current enough. */
  replica: ReadReplica | undefined;
  statementTimeoutMs: number;
  /** False through a transaction-mode pooler (DB_POOLER=transaction). */
  preparedStatements: boolean;
  maxBodyBytes: number;
  /** With PERSISTED_OPERATIONS_ONLY: the only documents accepted. */
  allowList?: Pick<PersistedOperations, 'allows'> | undefined;
  /** Per-minute budgets (server/http/rateLimits.ts); none with RATE_LIMIT=off. */
  rateLimits: RateLimits | undefined;
  /** Turns to run by cost, per org (runtime/admission/costAdmission.ts). */
  admission: CostAdmission;
  /** Proxies whose X-Forwarded-For entries are trusted (server/http/clientAddress.ts). */
  trustedProxyHops: number;
  /** Prometheus metrics (server/http/apiMetrics.ts); none without METRICS_PORT. */
  metrics?: ApiMetrics | undefined;
}

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/**
 * What a GET sends in its query string, shaped as a body, for the allow-list
 * (Apollo reads the query string itself). Unparsable JSON is left out, and
 * Apollo refuses the request.
 */
function searchAsBody(search: URLSearchParams): Record<string, unknown> {
  const json = (name: string): unknown => {
    const value = search.get(name);
    if (value === null) return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  };
  return { query: search.get('query') ?? undefined, extensions: json('extensions') };
}

/** JSON bodies are parsed here; anything else goes to Apollo as text and is refused there. */
function parseBody(text: string, contentType: string | undefined): unknown {
  if (!contentType?.includes('json')) return text;
  return JSON.parse(text) as unknown;
}

/**
 * The caller's claims, or undefined when the request was answered already:
 * 401/403/503 for refused credentials, 429 when the client's address has
 * spent its budget of failed verifications (then only tokens verified
 * earlier, still cached, get through: no signature check is spent on it).
 */
async function authenticate(
  req: IncomingMessage,
  res: ServerResponse,
  deps: GraphqlHandlerDeps,
  log: RequestLog,
): Promise<RequestClaims | undefined> {
  const address = deps.rateLimits && clientAddress(req, deps.trustedProxyHops);
  try {
    const token = bearerToken(req.headers.authorization);
    const spent = address !== undefined && (await deps.rateLimits?.badTokensSpent(address));
    if (spent) {
      const claims = deps.verifier.cached(token);
      if (!claims) {
        deps.metrics?.refused('bad_token_budget');
        sendRateLimited(req, res, spent, log.logger, { ip: address });
      }
      return claims;
    }
    return await deps.verifier.verify(token);
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    deps.metrics?.authFailure(err.reason);
    if (address !== undefined && err.code === 'UNAUTHENTICATED') {
      await deps.rateLimits?.badToken(address);
    }
    sendAuthFailure(req, res, err, log.logger);
    return undefined;
  }
}

/** authenticate, as the request's `verify token` span when it is traced. */
async function tracedAuthenticate(
  req: IncomingMessage,
  res: ServerResponse,
  deps: GraphqlHandlerDeps,
  log: RequestLog,
  trace: RequestTrace,
): Promise<RequestClaims | undefined> {
  const span = trace.start('verify token');
  try {
    const claims = await authenticate(req, res, deps, log);
    if (!claims) spanFailed(span, { 'http.response.status_code': res.statusCode });
    else trace.span.setAttributes({ 'heimdex.org_id': claims.orgId, 'heimdex.role': claims.role });
    return claims;
  } finally {
    span.end();
  }
}

export async function handleGraphql(
  req: IncomingMessage,
  res: ServerResponse,
  deps: GraphqlHandlerDeps,
  log: RequestLog,
  trace?: RequestTrace,
): Promise<void> {
  log.graphql = true;
  const claims = await (trace?.recording
    ? tracedAuthenticate(req, res, deps, log, trace)
    : authenticate(req, res, deps, log));
  if (!claims) return;
  log.bind({ orgId: claims.orgId, sub: claims.sub, role: claims.role });
  const { rateLimits } = deps;
  const spent = await rateLimits?.check(claims);
  if (spent) {
    deps.metrics?.refused('rate_limit');
    // Back before its Retry-After: a client retrying in a loop gets few answers per connection.
    const delayMs = spent.early ? rateLimits!.earlyRefusalDelayMs(spent) : 0;
    if (delayMs > 0) {
      log.summary.heldMs = delayMs;
      await setTimeout(delayMs);
    }
    sendRateLimited(req, res, spent, log.logger);
    return;
  }
  let after: bigint | undefined;
  let badHeader: BadConsistencyHeaderError | undefined;
  try {
    after = requiredWalPosition(req.headers[CONSISTENCY_HEADER.toLowerCase()]);
  } catch (err) {
    if (!(err instanceof BadConsistencyHeaderError)) throw err;
    badHeader = err;
  }
  const context = new RequestContext(
    claims,
    log,
    deps.pool,
    deps.statementTimeoutMs,
    deps.preparedStatements,
    trace,
    deps.replica && { replica: deps.replica, after },
  );
  context.admission = new RequestAdmission(deps.admission, claims.orgId, res);
  /** RateLimit-* on every answer; a request refused before execution spends 1 point. */
  const rateLimitHeaders = async (): Promise<void> => {
    if (!rateLimits) return;
    context.usage.rateLimit ??= await rateLimits.spend(claims, 1);
    for (const [name, value] of Object.entries(headersFor(context.usage.rateLimit))) {
      res.setHeader(name, value);
    }
  };

  if (badHeader) {
    await rateLimitHeaders();
    sendGraphqlError(req, res, 400, 'BAD_USER_INPUT', badHeader.message);
    return;
  }

  const url = new URL(req.url ?? '/', 'http://localhost');
  // GET carries its operation in the query string, and Apollo runs only queries that way.
  const get = req.method === 'GET';
  let body: unknown;
  try {
    if (!get) body = parseBody(await readBody(req, deps.maxBodyBytes), req.headers['content-type']);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      await rateLimitHeaders();
      sendGraphqlError(req, res, 413, 'BAD_USER_INPUT', 'The request body is too large.');
      return;
    }
    if (err instanceof SyntaxError) {
      await rateLimitHeaders();
      sendGraphqlError(req, res, 400, 'BAD_USER_INPUT', 'The request body is not valid JSON.');
      return;
    }
    throw err;
  }

  if (deps.allowList && !deps.allowList.allows(get ? searchAsBody(url.searchParams) : body)) {
    await rateLimitHeaders();
    sendGraphqlError(
      req,
      res,
      400,
      'BAD_USER_INPUT',
      'This server accepts only its persisted operations: send one of them, as its exact text or by its hash.',
    );
    return;
  }

  try {
    const response = await deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method ?? 'POST',
        headers: headerMap(req),
        search: url.search,
        body,
      },
      context: () => Promise.resolve(context),
    });
    res.statusCode = response.status ?? 200;
    for (const [name, value] of response.headers) res.setHeader(name, value);
    const position = context.db.commitPosition;
    if (position) res.setHeader(CONSISTENCY_HEADER, position);
    await rateLimitHeaders();
    const state = context.usage.rateLimit;
    if (state?.refusedBy) logRateLimited(log.logger, state, { nodes: context.usage.cost?.nodes });
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  } finally {
    // Nothing executed (a refused document) or an unexpected failure: release the connection.
    await context.db.finish(false);
    // After the answer was written: its serialization was part of the turn.
    context.admission.release();
    const { cost, operation, outcome, refusedBy } = context.usage;
    if (refusedBy) deps.metrics?.refused(refusedBy);
    log.summary = {
      operationName: operation?.name,
      operationType: operation?.type,
      nodes: cost?.nodes,
      admissionMs: roundMs(context.admission.waitedMs),
      dbMs: roundMs(context.db.durationMs),
      servedBy: deps.replica && context.db.servedBy,
    };
    if (outcome) recordOutcome(res, outcome);
  }
}
