/**
 * The API's pools of connections as heimdex_authenticator: one for requests,
 * and one connection of its own for the readiness probe, so that a busy
 * request pool does not make a healthy instance look unreachable. With a read
 * replica, the same two on the replica (server/db/readReplica.ts).
 */
import pg from 'pg';
import type { DatabaseConfig } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';

export function createApiPool(
  db: DatabaseConfig,
  url: string,
  logger: Logger,
  use: 'requests' | 'readiness' | 'replica requests' | 'replica probe' = 'requests',
): pg.Pool {
  const forRequests = use === 'requests' || use === 'replica requests';
  const pool = new pg.Pool({
    connectionString: url,
    max: forRequests ? db.poolMax : 1,
    // Never wait forever for a connection: a full pool answers 503.
    connectionTimeoutMillis: db.connectionTimeoutMs,
    idleTimeoutMillis: db.idleTimeoutMs,
    application_name: {
      requests: 'heimdex-api',
      readiness: 'heimdex-api readyz',
      'replica requests': 'heimdex-api',
      'replica probe': 'heimdex-api replica probe',
    }[use],
  });
  // A connection that fails while idle in the pool: the pool drops it; note it.
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection failed'));
  return pool;
}
