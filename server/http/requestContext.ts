/**
 * The GraphQL context of one request. A class, so the logger stays a lazy
 * getter on the prototype: Apollo shallow-copies the context object per
 * request, which would otherwise evaluate it.
 */
import type { FairPool } from '../../runtime/db/fairPool.js';
import type { RequestClaims } from '../auth/claims.js';
import type { Logger } from '../../runtime/logger.js';
import { RequestTransaction, type ReplicaReads } from '../db/requestTransaction.js';
import type { GatewayContext, RequestUsage } from '../../schema/context.js';
import type { RequestLog } from './requestLog.js';
import type { RateLimitState } from './rateLimits.js';
import type { RequestTrace } from './requestTrace.js';
import type { RequestAdmission } from './requestAdmission.js';

/** What the request spends: its cost (schema/) and, here, its rate budget after spending it. */
export interface ApiUsage extends RequestUsage {
  rateLimit?: RateLimitState;
  /** The operation that ran (known once Apollo resolved it), for the request's log line and metrics. */
  operation?: { name: string | undefined; type: 'query' | 'mutation' | 'subscription' };
  /** The first error code of the response, or OK. */
  outcome?: string;
  /** Refused by a limit before it ran (the cost over MAX_QUERY_NODES, or over a rate budget). */
  refusedBy?: 'cost' | 'rate_limit';
}

export class RequestContext implements GatewayContext {
  readonly db: RequestTransaction;
  readonly usage: ApiUsage = {};
  /** Over HTTP: the request's turn by its cost, released by the handler once answered. */
  admission: RequestAdmission | undefined;

  constructor(
    readonly claims: RequestClaims,
    private readonly log: RequestLog,
    pool: FairPool,
    statementTimeoutMs: number,
    preparedStatements: boolean,
    /** With tracing on: the operation and the database work are its spans. */
    readonly trace?: RequestTrace,
    /** Where a query may read instead of `pool`; none for subscriptions, which re-read the primary. */
    reads?: ReplicaReads,
  ) {
    this.db = new RequestTransaction(
      pool,
      { claims, requestId: log.requestId, statementTimeoutMs, preparedStatements },
      // Unsampled: no statement spans (their attributes are not even built).
      trace?.recording ? trace : undefined,
      reads,
    );
  }

  get traceparent(): string | undefined {
    return this.trace?.traceparent;
  }

  get requestId(): string {
    return this.log.requestId;
  }

  get logger(): Logger {
    return this.log.logger;
  }
}
