/**
 * A job's database calls outlive a database restart: a call that fails
 * because the connection went away is repeated, with backoff, until the
 * server is back or the reconnect timeout runs out. Every call repeated this
 * way must be idempotent (the ledger's transitions are).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** SQLSTATEs that mean "the server went away", not "your statement is wrong". */
const SERVER_GONE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
]);
const CONNECTION_EXCEPTION_CLASS = '08';

/** Socket errors from Node while connecting or talking to the server. */
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * True when `err` says the connection was lost rather than the statement
 * refused. node-postgres reports a connection that dropped mid-query, and a
 * pool that timed out connecting, as a plain `Error` with no code at all.
 */
export function isConnectionLost(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) {
    const code = err.code ?? '';
    return SERVER_GONE_SQLSTATES.has(code) || code.startsWith(CONNECTION_EXCEPTION_CLASS);
  }
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return NETWORK_ERRNOS.has(code);
  return err.constructor === Error;
}

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 2_000;

/** Runs `fn`, repeating it while the database is unreachable, for at most `timeoutMs`. */
export async function withReconnect<T>(
  fn: () => Promise<T>,
  options: { timeoutMs: number; onRetry?: (err: unknown, delayMs: number) => void },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let delay = FIRST_DELAY_MS; ; delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionLost(err)) throw err;
      const wait = Math.min(delay, deadline - Date.now());
      if (wait <= 0) {
        throw new DatabaseUnavailableError(
          `The database was unreachable for ${options.timeoutMs} ms (WORKER_RECONNECT_TIMEOUT_MS)`,
          { cause: err },
        );
      }
      options.onRetry?.(err, wait);
      await sleep(wait);
    }
  }
}
