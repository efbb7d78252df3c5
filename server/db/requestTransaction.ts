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
import type { Span } from '@opentelemetry/api';
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
import { spanFailed, type RequestTrace } from '../http/requestTrace.js';

/** A span's name for a statement: its first keyword (`db select`, `db with`). */
function statementSpanName(text: string): string {
  const verb = /^\s*([a-z]+)/i.exec(text)?.[1];
  return verb ? `db ${verb.toLowerCase()}` : 'db statement';
}

/** What a failed statement's span may say: its SQLSTATE, never the message (it can quote values). */
function failure(err: unknown): Record<string, string> {
  const code = (err as { code?: unknown } | null)?.code;
  return {
    'error.type': typeof code === 'string' ? code : 'connection',
    ...(typeof code === 'string' && { 'db.response.status_code': code }),
  };
}

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
    /** With tracing on: each statement, the connection wait and the commit are spans of it. */
    private readonly trace?: RequestTrace,
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

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: Statement,
  ): Promise<pg.QueryResult<R>> {
    return this.trace ? this.#tracedQuery<R>(this.trace, statement) : this.#query<R>(statement);
  }

  /** The statement's text but never its values. */
  async #tracedQuery<R extends pg.QueryResultRow>(
    trace: RequestTrace,
    statement: Statement,
  ): Promise<pg.QueryResult<R>> {
    const span = trace.start(statementSpanName(statement.text), {
      'db.system.name': 'postgresql',
      'db.query.text': statement.text,
    });
    try {
      const result = await this.#query<R>(statement, span);
      if (result.rowCount !== null) span.setAttribute('db.response.returned_rows', result.rowCount);
      return result;
    } catch (err) {
      spanFailed(span, failure(err));
      throw err;
    } finally {
      span.end();
    }
  }

  async #query<R extends pg.QueryResultRow>(
    statement: Statement,
    span?: Span,
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
        // begin and the settings went out in the same write as this statement
        span?.setAttributes({ 'heimdex.db.begin': true, 'heimdex.db.read_only': this.#readOnly });
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
    let span: Span | undefined;
    try {
      if (this.#begun && !this.#broken) {
        const end = commit && !this.#failure ? 'commit' : 'rollback';
        span = this.trace?.start(`db ${end}`, { 'db.system.name': 'postgresql' });
        await client.query(end);
      }
    } catch (err) {
      this.#broken = true;
      error = asDatabaseError(err);
      if (span) spanFailed(span, failure(err));
    } finally {
      span?.end();
      if (this.#begun) this.#durationMs = performance.now() - this.#beganAt;
      client.off('error', this.#onClientError);
      client.release(this.#broken);
    }
    if (error && commit && !this.#failure) throw error;
  }

  #connection(): Promise<pg.PoolClient> {
    this.#started ??= (async () => {
      let client: pg.PoolClient;
      // The wait for a connection, in the org's turn (long when the pool or the org's share is full).
      const span = this.trace?.start('db connect', { 'db.system.name': 'postgresql' });
      try {
        client = await this.pool.acquire(this.settings.claims.orgId);
      } catch (err) {
        if (span) spanFailed(span, failure(err));
        throw new DatabaseUnavailableError('no database connection available', { cause: err });
      } finally {
        span?.end();
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
