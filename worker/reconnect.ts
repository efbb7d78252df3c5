/**
 * A job's database calls outlive a database restart: a call that fails
 * because the connection went away is repeated, with backoff, until the
 * server is back or the reconnect timeout runs out. Every call repeated this
 * way must be idempotent (the ledger's transitions are).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseUnavailableError } from '../runtime/errors/HeimdexError.js';
import { isConnectionLost } from '../runtime/errors/sqlState.js';

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
