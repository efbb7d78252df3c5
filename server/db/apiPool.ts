/** The API's pool of connections as heimdex_authenticator. */
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import type { Logger } from '../logger.js';

export function createApiPool(db: DatabaseConfig, url: string, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: db.poolMax,
    // Never wait forever for a connection: a full pool answers 503.
    connectionTimeoutMillis: db.connectionTimeoutMs,
    idleTimeoutMillis: db.idleTimeoutMs,
    application_name: 'heimdex-api',
  });
  // A connection that fails while idle in the pool: the pool drops it; note it.
  pool.on('error', (err) => logger.warn({ err }, 'idle database connection failed'));
  return pool;
}
