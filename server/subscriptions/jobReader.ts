/**
 * How the fan-out reads: exactly as a query runs over HTTP. One read-only
 * transaction as the claims' role with the claims set (server/db/
 * requestTransaction.ts), the derived query routed to its engine by the
 * gateway's router, errors masked as for any response. Several reads under
 * the same claims share the transaction: that is one re-read, whatever the
 * number of documents.
 */
import { randomUUID } from 'node:crypto';
import type { DocumentNode, ExecutionResult } from 'graphql';
import type { FairPool } from '../../runtime/db/fairPool.js';
import type { RequestClaims } from '../auth/claims.js';
import type { Logger } from '../../runtime/logger.js';
import type { Router } from '../../schema/compose/router.js';
import { RequestContext } from '../http/requestContext.js';
import { RequestLog } from '../http/requestLog.js';
import { maskErrors } from '../http/maskErrors.js';

export interface ReadRequest {
  document: DocumentNode;
  operationName: string | undefined;
  variables: Record<string, unknown>;
}

export interface JobReader {
  /** Runs `reads` in one transaction under `claims`; one result each, in order. */
  read(claims: RequestClaims, reads: readonly ReadRequest[]): Promise<ExecutionResult[]>;
  /** Ids of the jobs visible under `claims` with a ledger row at or after `since`. */
  changedSince(claims: RequestClaims, since: Date): Promise<string[]>;
}

export function createJobReader(
  router: Router,
  pool: FairPool,
  logger: Logger,
  statementTimeoutMs: number,
  /** False behind a transaction pooler (DB_POOLER=transaction): statements run unnamed. */
  preparedStatements: boolean,
): JobReader {
  const contextFor = (claims: RequestClaims): RequestContext => {
    const log = new RequestLog(logger, randomUUID());
    log.bind({ orgId: claims.orgId, sub: claims.sub, role: claims.role, subscription: true });
    const context = new RequestContext(claims, log, pool, statementTimeoutMs, preparedStatements);
    context.db.setReadOnly(true);
    return context;
  };
  return {
    async read(claims, reads) {
      const context = contextFor(claims);
      const results: ExecutionResult[] = [];
      try {
        for (const { document, operationName, variables } of reads) {
          results.push(
            await router.execute({ document, operationName, variableValues: variables, context }),
          );
        }
      } finally {
        // Read-only: commit or roll back alike; a failure is in its result.
        await context.db.finish(false);
      }
      return results.map((result) => maskErrors(result, context.logger));
    },
    async changedSince(claims, since) {
      const context = contextFor(claims);
      try {
        const { rows } = await context.db.query<{ job_id: string }>({
          name: 'subscriptions_changed_since',
          text: 'select distinct job_id from app_public.job_events where ts >= $1',
          values: [since],
        });
        return rows.map((row) => row.job_id);
      } finally {
        await context.db.finish(false);
      }
    },
  };
}
