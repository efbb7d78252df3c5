/**
 * What every resolver and plan of a request can reach, as the schema needs
 * it. The API builds it per request (server/http/requestContext.ts); the
 * schema declares the shape and never imports the API.
 */
import type pg from 'pg';
import type { WithPgClient } from '@dataplan/pg';
import type { Logger } from '../runtime/logger.js';
import type { Cost } from './limits/queryCost.js';

/** The caller's verified claims. */
export interface CallerClaims {
  /** JWT `sub`. */
  sub: string;
  /** Lower-case UUID of the caller's org. */
  orgId: string;
  role: 'viewer' | 'member' | 'admin';
}

/** A statement; `rowMode: 'array'` returns rows as arrays (PostGraphile asks for it). */
export type Statement = pg.QueryConfig & { rowMode?: 'array' };

/** The request's one transaction, with the caller's role and claims already set in it. */
export interface RequestDatabase {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: Statement,
  ): Promise<pg.QueryResult<R>>;
  /** PostGraphile's way in: every call joins the same transaction. */
  readonly withPgClient: WithPgClient;
}

export interface GatewayContext {
  requestId: string;
  claims: CallerClaims;
  /** The request's one transaction. */
  db: RequestDatabase;
  /** Bound to the request id. */
  logger: Logger;
  /**
   * The W3C traceparent of the operation's span when the request is traced
   * (a job created now carries it, so the worker's spans join the trace).
   */
  readonly traceparent?: string | undefined;
  /**
   * What the request spends, shared with the HTTP layer (Apollo runs on a
   * shallow copy of the context, so this is an object, not a field to set).
   */
  readonly usage: RequestUsage;
}

export interface RequestUsage {
  /** Measured before execution (schema/limits/queryCost.ts); unset until then. */
  cost?: Cost;
}
