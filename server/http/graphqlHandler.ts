/**
 * `POST /graphql`: authenticate first (a refused token never reaches the
 * database), then hand the request to Apollo with a context holding the
 * verified claims and the request's transaction, which is always settled
 * before the response leaves.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type pg from 'pg';
import { AuthError } from '../auth/AuthError.js';
import { bearerToken } from '../auth/bearerToken.js';
import type { TokenVerifier } from '../auth/tokenVerifier.js';
import type { GatewayContext } from '../../schema/context.js';
import { sendAuthFailure } from './authFailure.js';
import type { PersistedOperations } from './persistedOperations.js';
import { BodyTooLargeError, readBody } from './readBody.js';
import { sendGraphqlError } from './sendJson.js';
import type { RequestLog } from './requestLog.js';
import { RequestContext } from './requestContext.js';

export interface GraphqlHandlerDeps {
  apollo: ApolloServer<GatewayContext>;
  verifier: TokenVerifier;
  pool: pg.Pool;
  statementTimeoutMs: number;
  maxBodyBytes: number;
  /** With PERSISTED_OPERATIONS_ONLY: the only documents accepted. */
  allowList?: Pick<PersistedOperations, 'allows'> | undefined;
}

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** JSON bodies are parsed here; anything else goes to Apollo as text and is refused there. */
function parseBody(text: string, contentType: string | undefined): unknown {
  if (!contentType?.includes('json')) return text;
  return JSON.parse(text) as unknown;
}

export async function handleGraphql(
  req: IncomingMessage,
  res: ServerResponse,
  deps: GraphqlHandlerDeps,
  log: RequestLog,
): Promise<void> {
  let context: GatewayContext;
  try {
    const claims = await deps.verifier.verify(bearerToken(req.headers.authorization));
    log.bind({ orgId: claims.orgId, sub: claims.sub, role: claims.role });
    context = new RequestContext(claims, log, deps.pool, deps.statementTimeoutMs);
  } catch (err) {
    if (!(err instanceof AuthError)) throw err;
    sendAuthFailure(req, res, err, log.logger);
    return;
  }

  let body: unknown;
  try {
    body = parseBody(await readBody(req, deps.maxBodyBytes), req.headers['content-type']);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      sendGraphqlError(req, res, 413, 'BAD_USER_INPUT', 'The request body is too large.');
      return;
    }
    if (err instanceof SyntaxError) {
      sendGraphqlError(req, res, 400, 'BAD_USER_INPUT', 'The request body is not valid JSON.');
      return;
    }
    throw err;
  }

  if (deps.allowList && !deps.allowList.allows(body)) {
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
    const url = new URL(req.url ?? '/', 'http://localhost');
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
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
    } else {
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    }
  } finally {
    // Nothing executed (a refused document) or an unexpected failure: release the connection.
    await context.db.finish(false);
    const { cost } = context.usage;
    if (cost) log.bind({ nodes: cost.nodes });
  }
}
