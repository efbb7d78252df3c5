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
 *
 * With a read replica, a read-only transaction connects there when the
 * replica may serve it (server/db/readReplica.ts), and to the primary when it
 * may not, or when connecting to it or starting the transaction on it fails
 * (nothing ran yet, so the primary simply runs it instead). A read-write
 * transaction commits and reads the primary's WAL insert position in the same
 * round trip (`commitPosition`): taken after the commit returned, it is at or
 * past the end of the commit record, so a replica that has replayed up to it
 * shows the transaction.
 */
import pg from 'pg';
import { PoolTimeoutError, type OrgConnections } from '../../runtime/db/fairPool.js';
import type { Span } from '@opentelemetry/api';
import type { PgClient, PgClientQuery, PgClientResult, WithPgClient } from '@dataplan/pg';
import { classifyError } from '../../schema/errors/classifyError.js';
import { DatabaseUnavailableError, HeimdexError } from '../../runtime/errors/HeimdexError.js';
import type { RequestDatabase, Statement } from '../../schema/context.js';
import { statementName } from './preparedStatements.js';
import { closesConnection } from '../../runtime/errors/sqlState.js';
import type { ReadReplica } from './readReplica.js';
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

/** Where a read-only request may read: the replica, if it has replayed `after`. */
export interface ReplicaReads {
  replica: ReadReplica;
  /** From the request's Heimdex-Consistency header; undefined: any replayed position will do. */
  after: bigint | undefined;
}

export class RequestTransaction implements RequestDatabase {
  #readOnly = true;
  #servedBy: 'primary' | 'replica' | undefined;
  #commitPosition: string | undefined;
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
    /** READ_DATABASE_URL: where a read-only transaction may run instead of `pool`. */
    private readonly reads?: ReplicaReads,
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

  /** Which server the transaction ran on, once connected. */
  get servedBy(): 'primary' | 'replica' | undefined {
    return this.#servedBy;
  }

  /** After a read-write commit: the primary's WAL position at or past the commit record. */
  get commitPosition(): string | undefined {
    return this.#commitPosition;
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
    const configFor = (on: pg.PoolClient) => ({
      ...statement,
      name: statementName(on, statement.name, this.settings.preparedStatements),
    });
    // Statements are queued on the connection in call order, so the first
    // call is the first statement the server runs: it carries the begin.
    const first = !this.#begun;
    this.#begun = true;
    if (first) this.#beganAt = performance.now();
    try {
      if (!first) return await client.query<R>(configFor(client) as pg.QueryConfig);
      // begin and the settings went out in the same write as this statement
      span?.setAttributes({ 'heimdex.db.begin': true, 'heimdex.db.read_only': this.#readOnly });
      const start = (on: pg.PoolClient) =>
        queryWithTransactionStart<R>(on, configFor(on), this.#readOnly, this.settings);
      try {
        return await start(client);
      } catch (err) {
        if (!this.#replicaLost(err)) throw err;
        // Nothing ran on the replica: the primary runs the statement (still this statement's
        // span; the new connection's wait is a `db connect` span of its own).
        return await start(await this.#fallBackToPrimary(err));
      }
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
        // A read-write commit also reads the WAL position, in the same round trip.
        if (end === 'rollback' || this.#readOnly) await client.query(end);
        else this.#commitPosition = await commitReadingPosition(client);
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
    this.#started ??= this.#connectSpan(async (span) => {
      const replicaPool =
        this.#readOnly && this.reads
          ? await this.reads.replica.poolFor(this.reads.after)
          : undefined;
      if (replicaPool) {
        let client: pg.PoolClient;
        try {
          client = await replicaPool.acquire(this.settings.claims.orgId);
        } catch (err) {
          // The org waited its turn too long: the replica is busy, not down (503, as on the primary).
          if (err instanceof PoolTimeoutError) {
            throw new DatabaseUnavailableError('no database connection available', { cause: err });
          }
          this.reads!.replica.markDown(err);
          span?.setAttribute('heimdex.db.replica_failed', true);
          return this.#use(await this.#connectToPrimary(), 'primary');
        }
        return this.#use(client, 'replica');
      }
      return this.#use(await this.#connectToPrimary(), 'primary');
    });
    return this.#started;
  }

  /**
   * `connect`, as a `db connect` span when the request is traced: the wait for
   * a connection, in the org's turn (long when the pool or the org's share is
   * full), and with a read replica, the choice of server and any fall-back to
   * the primary. With a replica it says which server took the transaction.
   */
  async #connectSpan(
    connect: (span: Span | undefined) => Promise<pg.PoolClient>,
  ): Promise<pg.PoolClient> {
    const span = this.trace?.start('db connect', { 'db.system.name': 'postgresql' });
    try {
      const client = await connect(span);
      if (this.reads && this.#servedBy) span?.setAttribute('heimdex.db.served_by', this.#servedBy);
      return client;
    } catch (err) {
      const cause = err instanceof DatabaseUnavailableError ? err.cause : err;
      if (span) spanFailed(span, failure(cause));
      throw err;
    } finally {
      span?.end();
    }
  }

  async #connectToPrimary(): Promise<pg.PoolClient> {
    try {
      return await this.pool.acquire(this.settings.claims.orgId);
    } catch (err) {
      throw new DatabaseUnavailableError('no database connection available', { cause: err });
    }
  }

  #use(client: pg.PoolClient, servedBy: 'primary' | 'replica'): pg.PoolClient {
    this.#client = client;
    this.#servedBy = servedBy;
    client.on('error', this.#onClientError);
    return client;
  }

  /** The replica's connection failed below SQL before anything ran: the primary can take over. */
  #replicaLost(err: unknown): boolean {
    if (this.#servedBy !== 'replica') return false;
    return !(err instanceof pg.DatabaseError) || closesConnection(err);
  }

  async #fallBackToPrimary(err: unknown): Promise<pg.PoolClient> {
    this.reads!.replica.markDown(err);
    const lost = this.#client!;
    this.#client = undefined;
    lost.off('error', this.#onClientError);
    lost.release(true);
    this.#broken = false;
    const client = await this.#connectSpan(async (span) => {
      span?.setAttribute('heimdex.db.replica_failed', true);
      return this.#use(await this.#connectToPrimary(), 'primary');
    });
    this.#started = Promise.resolve(client);
    return client;
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

/**
 * `commit`, then the primary's WAL insert position, in one round trip (a
 * simple query of two statements; the second runs after the commit returned,
 * so the position is at or past the end of the commit record).
 */
async function commitReadingPosition(client: pg.PoolClient): Promise<string | undefined> {
  const results = (await client.query(
    'commit; select pg_current_wal_insert_lsn()::text as lsn',
  )) as unknown as pg.QueryResult<{ lsn: string }>[];
  return results[1]?.rows[0]?.lsn;
}
