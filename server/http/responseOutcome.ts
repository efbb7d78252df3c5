/**
 * A response's outcome code for the request's log line and metrics: the
 * GraphQL error code it answered with (UNAUTHENTICATED, RATE_LIMITED, ...),
 * or OK. Recorded by whoever writes the answer (sendGraphqlError for a
 * refusal of the whole request, the GraphQL handler for Apollo's answer).
 */
import type { ServerResponse } from 'node:http';

const outcomes = new WeakMap<ServerResponse, string>();

export function recordOutcome(res: ServerResponse, code: string): void {
  outcomes.set(res, code);
}

export function outcomeOf(res: ServerResponse): string | undefined {
  return outcomes.get(res);
}
