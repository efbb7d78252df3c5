/**
 * One transaction per request, shared by every engine that touches the
 * database while serving it (PostGraphile through `withPgClient`, the
 * type-graphql resolvers through `query`).
 *
 * The connection is taken from the authenticator pool on first use, in the
 * turn of the caller's org (runtime/db/fairPool.ts); `begin`
 * and the settings travel with the first statement, in its round trip
 * (transactionStart.ts); `finish` commits or rolls back and always
 * releases. A connection that failed below SQL (lost, reset) is destroyed
 * instead of going back to the pool. After a statement fails, the
 * transaction is aborted: later statements of the same request are refused
 * with the same code instead of reaching Postgres.
 */
import pg from 'pg';
import type { OrgConnections } from '../../runtime/db/fairPool.js';
import type { PgClient, PgClientQuery, PgClientResult, WithPgClient } from '@dataplan/pg';
import { classifyError } from '../../schema/errors/classifyError.js';
import { DatabaseUnavailableError, HeimdexError } from '../../runtime/errors/HeimdexError.js';
import type { RequestDatabase, Statement } from '../../schema/context.js';
import { statementName } from './preparedStatements.js';
import { closesConnection } from '../../runtime/errors/sqlState.js';
import {
  failedBeforeStatement,
  queryWithTransactionStart,
  type TransactionSettings,
} from './transactionStart.js';

/** Errors below SQL (no SQLSTATE) mean the connection itself is unusable. */
function asDatabaseError(err: unknown): unknown {
  if (err instanceof pg.DatabaseError) return err;
  return new DatabaseUnavailableError('the database connection failed', { cause: err });
}

export class RequestTransaction implements RequestDatabase {
  #readOnly = true;
  #started: Promise<pg.PoolClient> | undefined;
  #client: pg.PoolClient | undefined;
  /** `begin` went out (with the first statement): the connection is in a transaction. */
  #begun = false;
  #broken = false;
  #failure: unknown;
  #finished = false;
  #beganAt = 0;
  #durationMs: number | undefined;
  readonly #onClientError = (): void => {
    this.#broken = true;
  };

  constructor(
    private readonly pool: OrgConnections,
    private readonly settings: TransactionSettings,
  ) {}

  /** Queries run read-only (the default); mutations read-write. Only before the first statement. */
  setReadOnly(readOnly: boolean): void {
    if (this.#started) throw new Error('the transaction has already begun');
    this.#readOnly = readOnly;
  }

  /** Milliseconds from `begin` (sent with the first statement) to the end of commit or rollback. */
  get durationMs(): number | undefined {
    return this.#durationMs;
  }

  get began(): boolean {
    return this.#started !== undefined;
  }

  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: Statement,
  ): Promise<pg.QueryResult<R>> {
    if (this.#finished) throw new Error('the request transaction is already over');
    const client = await this.#connection();
    this.#refuseAfterFailure();
    const config = {
      ...statement,
      name: statementName(client, statement.name, this.settings.preparedStatements),
    };
    // Statements are queued on the connection in call order, so the first
    // call is the first statement the server runs: it carries the begin.
    const first = !this.#begun;
    this.#begun = true;
    if (first) this.#beganAt = performance.now();
    try {
      if (first) {
        return await queryWithTransactionStart<R>(client, config, this.#readOnly, this.settings);
      }
      return await client.query<R>(config as pg.QueryConfig);
    } catch (err) {
      // Unsure which prepared statements that connection now holds: do not reuse it.
      if (failedBeforeStatement(err)) this.#broken = true;
      throw this.#fail(err);
    }
  }

  /** PostGraphile's way in: every call joins this transaction. */
  readonly withPgClient: WithPgClient = async (_pgSettings, callback) => callback(this.#pgClient);

  readonly #pgClient: PgClient = {
    query: async <TData>({
      text,
      values,
      arrayMode,
      name,
    }: PgClientQuery): Promise<PgClientResult<TData>> => {
      const statement: Statement = { text, values: values ?? [], name };
      if (arrayMode) statement.rowMode = 'array';
      const result = await this.query(statement);
      return { rows: result.rows as TData[], rowCount: result.rowCount };
    },
    // The request already is the transaction; a nested one joins it.
    withTransaction: (callback) => callback(this.#pgClient),
  };

  /** Commits (or rolls back after a failure, or when asked) and releases; idempotent. */
  async finish(commit: boolean): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    await this.#started?.catch(() => undefined);
    const client = this.#client;
    if (!client) return;
    let error: unknown;
    try {
      if (this.#begun && !this.#broken) {
        await client.query(commit && !this.#failure ? 'commit' : 'rollback');
      }
    } catch (err) {
      this.#broken = true;
      error = asDatabaseError(err);
    } finally {
      if (this.#begun) this.#durationMs = performance.now() - this.#beganAt;
      client.off('error', this.#onClientError);
      client.release(this.#broken);
    }
    if (error && commit && !this.#failure) throw error;
  }

  #connection(): Promise<pg.PoolClient> {
    this.#started ??= (async () => {
      let client: pg.PoolClient;
      try {
        client = await this.pool.acquire(this.settings.claims.orgId);
      } catch (err) {
        throw new DatabaseUnavailableError('no database connection available', { cause: err });
      }
      this.#client = client;
      client.on('error', this.#onClientError);
      return client;
    })();
    return this.#started;
  }

  #refuseAfterFailure(): void {
    if (this.#failure !== undefined) throw this.#abortedError();
  }

  #abortedError(): HeimdexError {
    return new HeimdexError(
      classifyError(this.#failure),
      'Not run: an earlier part of this request failed.',
    );
  }

  /** Records the first failure; statements queued behind it fail with its code. */
  #fail(err: unknown): unknown {
    if (this.#failure !== undefined) return this.#abortedError();
    const error = asDatabaseError(err);
    if (error instanceof DatabaseUnavailableError || closesConnection(error)) this.#broken = true;
    this.#failure = error;
    return error;
  }
}
