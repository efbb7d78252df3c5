/**
 * CORS for `/graphql`: pages from the origins of CORS_ORIGINS may call the API
 * from a browser. The `cors` package writes the headers; this decides them.
 * A preflight from an allowed origin is answered here (204); any request from
 * another origin, or from none (not a browser), gets no CORS header at all
 * and goes on as it would have, so the browser, not the API, withholds the
 * answer from the page. Tokens travel in `Authorization`, never in cookies:
 * credentials stay off.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import { originAllowed } from '../../runtime/http/allowedOrigins.js';
import { CONSISTENCY_HEADER } from '../db/walPosition.js';

/** How long a browser may reuse a preflight's answer (Chromium caps it at 2 h). */
export const CORS_MAX_AGE_S = 600;

export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  // Apollo's CSRF prevention asks GET requests for one of these two.
  'apollo-require-preflight',
  'x-apollo-operation-name',
  // A query that must see a mutation's write sends its position back.
  CONSISTENCY_HEADER.toLowerCase(),
] as const;

/** Response headers a page may read: ids, budgets, the reason for a 401, a mutation's WAL position. */
export const CORS_EXPOSED_HEADERS = [
  'x-request-id',
  CONSISTENCY_HEADER.toLowerCase(),
  'retry-after',
  'ratelimit-limit',
  'ratelimit-remaining',
  'ratelimit-reset',
  'www-authenticate',
] as const;

/** True when the request was answered (a preflight); false: carry on. */
export type CorsHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function corsHandler(origins: readonly string[]): CorsHandler {
  const middleware = cors({
    origin: (origin, callback) => {
      callback(null, origin !== undefined && originAllowed(origins, origin));
    },
    methods: ['GET', 'POST'],
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    credentials: false,
    maxAge: CORS_MAX_AGE_S,
    preflightContinue: false,
    optionsSuccessStatus: 204,
  });
  return (req, res) => {
    // The origin callback is synchronous, so the middleware has decided on return.
    let passed = false;
    middleware(req, res, () => {
      passed = true;
    });
    return !passed;
  };
}
