/**
 * The worker's connections. Straight to PostgreSQL, one pool serves the
 * queue, the tasks' ledger calls and graphile-worker's LISTEN.
 *
 * Through a transaction-mode pooler (DB_POOLER=transaction) a client's
 * session lasts one transaction, so:
 * - every statement runs unnamed: PgBouncer below 1.21 may run the next
 *   transaction on a server connection that never saw this client's Parse;
 * - graphile-worker's LISTEN, which must stay on one session, gets its one
 *   connection from a second pool, straight to PostgreSQL
 *   (DIRECT_DATABASE_URL). graphile-worker 0.18 announces that request: it
 *   emits `pool:listen:connecting` and, synchronously after it, calls
 *   `pool.connect(callback)`. That one call goes to the direct pool (pg-pool's
 *   own `query()` also connects with a callback, so the form alone does not
 *   tell them apart);
 * - no `statement_timeout` startup parameter: PgBouncer 1.18 refuses a
 *   connection that sends one (set it on the role or in the pooler instead).
 */
import pg from 'pg';
import type { WorkerEvents } from 'graphile-worker';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';

export interface WorkerPool {
  /** What graphile-worker and the ledger use. */
  pool: pg.Pool;
  /** Closes every connection of the worker's. */
  end(): Promise<void>;
}

/** A client that never prepares: a statement's name is dropped before it is sent. */
class UnnamedStatementsClient extends pg.Client {}
const clientQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown;
UnnamedStatementsClient.prototype.query = function (this: pg.Client, ...args: unknown[]): unknown {
  const [config] = args;
  // Submittables (objects with their own submit) manage their own messages.
  if (typeof config === 'object' && config !== null && 'name' in config && !('submit' in config)) {
    args[0] = { ...config, name: undefined };
  }
  return clientQuery.apply(this, args);
} as pg.Client['query'];

/** Hands graphile-worker's LISTEN connection to `listen`, a pool straight to PostgreSQL. */
class PoolWithDirectListen extends pg.Pool {
  #listenNext = false;

  constructor(
    config: pg.PoolConfig,
    private readonly listen: pg.Pool,
    events: WorkerEvents,
  ) {
    super(config);
    events.on('pool:listen:connecting', () => {
      this.#listenNext = true;
    });
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(
    callback: (err: Error | undefined, client: pg.PoolClient | undefined, done: () => void) => void,
  ): void;
  override connect(
    callback?: (
      err: Error | undefined,
      client: pg.PoolClient | undefined,
      done: () => void,
    ) => void,
  ): Promise<pg.PoolClient> | void {
    if (!callback) return super.connect();
    if (!this.#listenNext) return super.connect(callback);
    this.#listenNext = false;
    return this.listen.connect(callback);
  }
}

export function createWorkerPool(options: {
  connectionString: string;
  /** This role straight to PostgreSQL; used only with a transaction-mode pooler. */
  directConnectionString: string;
  config: Pick<Config, 'worker' | 'database'>;
  logger: Logger;
  /** graphile-worker's events: they say when it connects for LISTEN. */
  events: WorkerEvents;
}): WorkerPool {
  const { worker: settings, database } = options.config;
  const { logger } = options;
  // pg hangs the whole client on these errors: log what happened, not the client
  const lost = (err: Error & { code?: string }) => ({ code: err.code, reason: err.message });
  const watch = (pool: pg.Pool): pg.Pool => {
    pool.on('error', (err) => logger.warn(lost(err), 'an idle database connection failed'));
    pool.on('connect', (client) => {
      client.on('error', (err) => logger.warn(lost(err), 'a database connection failed'));
    });
    return pool;
  };
  const common = {
    connectionString: options.connectionString,
    max: settings.poolMax,
    application_name: 'heimdex-worker',
    connectionTimeoutMillis: database.connectionTimeoutMs,
  };
  if (database.pooler === 'none') {
    const pool = watch(new pg.Pool({ ...common, statement_timeout: database.statementTimeoutMs }));
    return { pool, end: () => pool.end() };
  }
  const listen = watch(
    new pg.Pool({
      connectionString: options.directConnectionString,
      max: 1,
      application_name: 'heimdex-worker listen',
      connectionTimeoutMillis: database.connectionTimeoutMs,
    }),
  );
  const pool = watch(
    new PoolWithDirectListen(
      { ...common, Client: UnnamedStatementsClient },
      listen,
      options.events,
    ),
  );
  return {
    pool,
    end: async () => {
      await Promise.all([pool.end(), listen.end()]);
    },
  };
}
