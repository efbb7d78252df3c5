/**
 * How long the API's HTTP server waits for a client, set on purpose rather
 * than left at Node's defaults (60 s for headers, 300 s per request, timers
 * checked every 30 s): a client that sends its headers or body a byte at a
 * time (slow loris) holds a socket and its memory only this long.
 */
import type { ServerOptions } from 'node:http';

export interface ServerTimeouts {
  /** Time to receive the complete request headers (HTTP_HEADERS_TIMEOUT_MS). */
  headersMs: number;
  /** Time to receive the whole request, headers and body (HTTP_REQUEST_TIMEOUT_MS). */
  requestMs: number;
  /** An idle keep-alive connection is closed after this (HTTP_KEEP_ALIVE_TIMEOUT_MS). */
  keepAliveMs: number;
}

/** Node checks the two request timeouts on an interval: a quarter of the shorter, at most 1 s. */
export function serverTimeoutOptions(timeouts: ServerTimeouts): ServerOptions {
  return {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionsCheckingInterval: Math.max(
      50,
      Math.min(1_000, Math.floor(Math.min(timeouts.headersMs, timeouts.requestMs) / 4)),
    ),
  };
}
