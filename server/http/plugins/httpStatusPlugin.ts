/**
 * The HTTP status of a GraphQL response, from its error codes (ARCHITECTURE,
 * "Errors clients see"): 503 + Retry-After when the database was
 * unreachable, 429 when over a rate budget (its headers are the HTTP
 * layer's: server/http/graphqlHandler.ts), 400 when the request was refused before execution, 500 or
 * 403 when nothing could be answered; 200 when some data came back; 405
 * (Apollo's) for a mutation sent with GET.
 * Responses carry private data: never cached. The first error code (or OK)
 * is the request's outcome, for its log line.
 */
import type { FormattedExecutionResult } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../requestContext.js';

export const RETRY_AFTER_SECONDS = 5;

export function responseStatus(result: FormattedExecutionResult): number | undefined {
  const codes = new Set(result.errors?.map((error) => error.extensions?.['code']));
  if (codes.size === 0) return undefined;
  if (codes.has('SERVICE_UNAVAILABLE')) return 503;
  if (codes.has('RATE_LIMITED')) return 429;
  if (result.data === undefined) return 400;
  if (result.data !== null) return undefined;
  if (codes.has('INTERNAL_SERVER_ERROR')) return 500;
  if (codes.size === 1 && codes.has('FORBIDDEN')) return 403;
  return undefined;
}

export function httpStatusPlugin(): ApolloServerPlugin<RequestContext> {
  return {
    requestDidStart: () =>
      Promise.resolve({
        willSendResponse({ response, contextValue }) {
          response.http.headers.set('cache-control', 'no-store');
          if (response.body.kind !== 'single') return Promise.resolve();
          const firstCode = response.body.singleResult.errors?.[0]?.extensions?.['code'];
          contextValue.usage.outcome = typeof firstCode === 'string' ? firstCode : 'OK';
          // Apollo's own answer to a mutation sent by GET (405, Allow: POST) stands.
          if (response.http.status === 405) return Promise.resolve();
          const status = responseStatus(response.body.singleResult);
          if (status !== undefined) response.http.status = status;
          if (status === 503) response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
          return Promise.resolve();
        },
      }),
  };
}
