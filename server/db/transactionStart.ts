/**
 * A request's first statement, sent in ONE round trip together with `begin`
 * and the settings that make it the caller's: the extended protocol lets a
 * client write several statements before one Sync, and the server answers
 * them in order. Per request that is one round trip fewer than sending
 * `begin` and the settings on their own, which on a loopback connection is
 * mostly the cost of the socket write and the wake-ups on both sides.
 *
 *   Bind/Execute  begin [read only]
 *   Bind/Execute  select set_config('role', $1, true), ...   (parameters: no SQL built from claims)
 *   Parse?/Bind/Describe/Execute  the statement itself
 *   Sync
 *
 * Through a transaction-mode pooler (DB_POOLER=transaction) the prefix is
 * parsed unnamed each time (Parse/Bind/Execute per statement, still before the
 * one Sync): PgBouncer below 1.21 hands the next transaction a server
 * connection that may not hold a statement this client prepared elsewhere.
 *
 * If `begin` or the settings fail, the server skips the rest up to Sync, so
 * the statement never runs without its settings. node-postgres has no
 * pipelining of its own; this is its Query with the prefix written ahead
 * and the prefix's replies consumed before the statement's (pg 8's Query
 * hooks: submit, prepare, handleDataRow, handleCommandComplete, handleError).
 */
import pg from 'pg';
import {
  CLAIM_SETTINGS,
  setLocalSettingsSql,
  type SettingName,
} from '../../runtime/db/transactionSettings.js';
import { DATABASE_ROLE, type RequestClaims } from '../auth/claims.js';

export interface TransactionSettings {
  claims: RequestClaims;
  /** Generated per request; also in every log line of the request. */
  requestId: string;
  statementTimeoutMs: number;
  /** False through a transaction-mode pooler: every statement is sent unnamed. */
  preparedStatements: boolean;
}

/** Transaction-local settings: each name with where its value (a parameter) comes from. */
const SETTINGS: ReadonlyArray<readonly [SettingName, (s: TransactionSettings) => string]> = [
  ['role', ({ claims }) => DATABASE_ROLE[claims.role]],
  [CLAIM_SETTINGS.orgId, ({ claims }) => claims.orgId],
  [CLAIM_SETTINGS.sub, ({ claims }) => claims.sub],
  [CLAIM_SETTINGS.role, ({ claims }) => claims.role],
  // pg_stat_activity shows it: a DBA can find the request's log lines.
  ['application_name', ({ requestId }) => `heimdex-api ${requestId}`],
  ['statement_timeout', ({ statementTimeoutMs }) => String(Math.trunc(statementTimeoutMs))],
];

/** The prefix statements, prepared once per connection under these names (unless unnamed). */
const PREFIX = {
  beginReadOnly: { name: 'heimdex_begin_read_only', text: 'begin read only' },
  beginReadWrite: { name: 'heimdex_begin', text: 'begin' },
  settings: {
    name: 'heimdex_transaction_settings',
    text: `select ${setLocalSettingsSql(SETTINGS.map(([name]) => name))}`,
  },
} as const;

/** The parts of node-postgres's Connection the prefix writes with. */
interface Connection {
  stream: { cork?: () => void; uncork?: () => void };
  parsedStatements: Record<string, string>;
  submittedNamedStatements: Record<string, string>;
  parse(message: { name: string; text: string; types: unknown[] }): void;
  bind(message: { statement: string; values: unknown[] }): void;
  execute(message: { portal: string; rows: number }): void;
}

/** Prefix statements already prepared on each connection (their own Parse is skipped). */
const preparedOn = new WeakMap<Connection, Set<string>>();

type QueryCallback = (err: Error | null, result: pg.QueryResult) => void;

/** pg's Query, with the hooks this file overrides (untyped in @types/pg). */
interface QueryHooks {
  text: string | undefined;
  submit(connection: Connection): Error | null;
  prepare(connection: Connection): void;
  handleDataRow(message: unknown): void;
  handleCommandComplete(message: unknown, connection: Connection): void;
  handleError(err: Error, connection: Connection): void;
}
const BaseQuery = pg.Query as unknown as new (config: object) => QueryHooks;

class StartAndQuery extends BaseQuery {
  // Plain properties assigned in the constructor, not initialised fields:
  // pg's constructor sets `name` (through the accessor below) before this
  // class's fields would exist, and an initialiser would then overwrite it.
  /** Replies still owed to the prefix (begin, settings) before the statement's own. */
  declare prefixLeft: number;
  /** True when begin or the settings failed: the connection's statement bookkeeping is unsure. */
  declare failedBeforeStatement: boolean;
  declare private statementName: string | undefined;
  declare private hideName: boolean;

  constructor(
    config: pg.QueryConfig & { rowMode?: 'array'; callback: QueryCallback },
    private readonly prefix: Array<{ name: string; text: string; values: unknown[] }>,
  ) {
    super({ ...config, queryMode: 'extended' });
    this.prefixLeft = prefix.length;
    this.failedBeforeStatement = false;
    this.hideName = false;
  }

  // The client records `name` as prepared when a ParseComplete arrives; while
  // the prefix's ParseCompletes arrive it must not see the statement's name.
  get name(): string | undefined {
    return this.hideName ? undefined : this.statementName;
  }
  set name(value: string | undefined) {
    this.statementName = value;
  }

  override submit(connection: Connection): Error | null {
    // pg's own check before anything is written: one name, one text.
    const own = this.statementName;
    const known = own
      ? (connection.parsedStatements[own] ?? connection.submittedNamedStatements[own])
      : undefined;
    if (known !== undefined && known !== this.text) {
      return new Error(
        `Prepared statements must be unique - '${own}' was used for a different statement`,
      );
    }
    connection.stream.cork?.();
    try {
      let prepared = preparedOn.get(connection);
      if (!prepared) preparedOn.set(connection, (prepared = new Set()));
      for (const { name, text, values } of this.prefix) {
        // The unnamed statement ('') lasts until the next Parse: parse it each time.
        if (name === '' || !prepared.has(name)) {
          connection.parse({ name, text, types: [] });
          if (name !== '') prepared.add(name);
        }
        connection.bind({ statement: name, values });
        connection.execute({ portal: '', rows: 0 });
      }
      this.prepare(connection);
    } finally {
      connection.stream.uncork?.();
    }
    this.hideName = this.prefixLeft > 0;
    return null;
  }

  override handleDataRow(message: unknown): void {
    if (this.prefixLeft === 0) super.handleDataRow(message);
  }

  override handleCommandComplete(message: unknown, connection: Connection): void {
    if (this.prefixLeft === 0) return super.handleCommandComplete(message, connection);
    this.prefixLeft -= 1;
    if (this.prefixLeft === 0) this.hideName = false;
  }

  override handleError(err: Error, connection: Connection): void {
    if (this.prefixLeft > 0) {
      this.failedBeforeStatement = true;
      if (this.statementName) delete connection.submittedNamedStatements[this.statementName];
      this.hideName = false;
    }
    super.handleError(err, connection);
  }
}

/**
 * Runs `statement` as the first of a transaction that `begin`s (read-only or
 * not) with `settings`, all in one round trip. On failure the error carries
 * `failedBeforeStatement` when the transaction never got its settings.
 */
export function queryWithTransactionStart<R extends pg.QueryResultRow>(
  client: pg.ClientBase,
  statement: pg.QueryConfig & { rowMode?: 'array' },
  readOnly: boolean,
  settings: TransactionSettings,
): Promise<pg.QueryResult<R>> {
  return new Promise((resolve, reject) => {
    const begin = readOnly ? PREFIX.beginReadOnly : PREFIX.beginReadWrite;
    const named = (statement: { name: string; text: string }) =>
      settings.preparedStatements ? statement : { ...statement, name: '' };
    const query = new StartAndQuery(
      {
        ...statement,
        callback: (err, result) => {
          if (!err) return resolve(result as pg.QueryResult<R>);
          if (query.failedBeforeStatement) {
            Object.assign(err, { failedBeforeStatement: true });
          }
          reject(err);
        },
      },
      [
        { ...named(begin), values: [] },
        { ...named(PREFIX.settings), values: SETTINGS.map(([, value]) => value(settings)) },
      ],
    );
    // A Submittable: pg returns it as is, and answers through its callback.
    void client.query(query as unknown as pg.QueryConfig);
  });
}

/** True for an error of a first statement whose `begin` or settings failed. */
export function failedBeforeStatement(err: unknown): boolean {
  return (err as { failedBeforeStatement?: unknown } | null)?.failedBeforeStatement === true;
}
