/**
 * The response to refused credentials, before any database work: 401 with
 * `WWW-Authenticate: Bearer error="invalid_token"`, 403 for a valid token
 * without a usable org or role, 503 when the key set is unreachable. Each
 * refusal is logged as `auth_failed` with the reason and the client's
 * address, never the token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../runtime/logger.js';
import type { AuthError } from '../auth/AuthError.js';
import { genericMessage, httpStatusFor } from '../../runtime/errors/errorCodes.js';
import { RETRY_AFTER_SECONDS } from './plugins/httpStatusPlugin.js';
import { sendGraphqlError } from './sendGraphqlError.js';

function authHeaders(error: AuthError): Record<string, string> {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return { 'www-authenticate': 'Bearer error="invalid_token"' };
    case 'FORBIDDEN':
      return {};
    case 'SERVICE_UNAVAILABLE':
      return { 'retry-after': String(RETRY_AFTER_SECONDS) };
  }
}

export function sendAuthFailure(
  req: IncomingMessage,
  res: ServerResponse,
  error: AuthError,
  logger: Logger,
): void {
  logger.warn(
    {
      event: 'auth_failed',
      reason: error.reason,
      ip: req.socket.remoteAddress,
      forwardedFor: req.headers['x-forwarded-for'],
    },
    'auth_failed',
  );
  sendGraphqlError(
    req,
    res,
    httpStatusFor(error.code),
    error.code,
    genericMessage(error.code),
    authHeaders(error),
  );
}
