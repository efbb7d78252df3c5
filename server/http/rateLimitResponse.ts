/**
 * What a client sees of its rate budgets: the IETF RateLimit header fields
 * (`RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` in seconds)
 * on every GraphQL response to an authenticated request, and over budget a
 * 429 RATE_LIMITED with `Retry-After`, plus one `rate_limited` log line
 * (the request's logger carries its org and sub).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../runtime/logger.js';
import { formatCount } from '../../schema/limits/documentLimits.js';
import type { RateLimitState } from './rateLimits.js';
import { sendGraphqlError } from './sendGraphqlError.js';

export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  const headers: Record<string, string> = {
    'ratelimit-limit': String(state.limit),
    'ratelimit-remaining': String(state.remaining),
    'ratelimit-reset': String(state.resetS),
  };
  if (state.refusedBy) headers['retry-after'] = String(state.resetS);
  return headers;
}

/** Why a request was refused, and when to come back. */
export function rateLimitMessage(state: RateLimitState, points?: number): string {
  const retry = `Retry after ${state.resetS} s.`;
  switch (state.refusedBy) {
    case 'bad_tokens':
      return `Too many requests with invalid tokens from this address. ${retry}`;
    case 'org':
    case 'user': {
      const whose = state.refusedBy === 'org' ? "Your org's" : 'Your';
      const budget = `${whose} budget is ${formatCount(state.limit)} points a minute, a request spends the nodes it may return (at least 1, writes 10 more)`;
      const left = `${formatCount(state.remaining)} left`;
      if (points !== undefined) {
        return `This request costs ${formatCount(points)} points. ${budget}; ${left}. ${retry}`;
      }
      return state.remaining <= 0
        ? `${budget}, and none is left. ${retry}`
        : `${budget}; ${left}, but a request of yours was refused until then. ${retry}`;
    }
    case undefined:
      throw new Error('the request was not refused');
  }
}

export function logRateLimited(logger: Logger, state: RateLimitState, fields = {}): void {
  logger.info(
    {
      event: 'rate_limited',
      bucket: state.refusedBy,
      limit: state.limit,
      retryAfterS: state.resetS,
      ...(state.early && { early: true }),
      ...fields,
    },
    'rate_limited',
  );
}

/** Refuses the whole request before any work (its budget or its address's is spent). */
export function sendRateLimited(
  req: IncomingMessage,
  res: ServerResponse,
  state: RateLimitState,
  logger: Logger,
  fields: Record<string, unknown> = {},
): void {
  logRateLimited(logger, state, fields);
  sendGraphqlError(req, res, 429, 'RATE_LIMITED', rateLimitMessage(state), rateLimitHeaders(state));
}
