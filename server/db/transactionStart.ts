/**
 * The first statement of a request's transaction: `begin` and every setting
 * in ONE round trip. node-postgres has no pipelining, and a multi-statement
 * simple query takes no parameters, so values are literals escaped with the
 * client's escapeLiteral, and they come only from verified claims and
 * values we generate, never from request input.
 */
import type pg from 'pg';
import { DATABASE_ROLE, type RequestClaims } from '../auth/claims.js';

export interface TransactionSettings {
  claims: RequestClaims;
  /** Generated per request; also in every log line of the request. */
  requestId: string;
  statementTimeoutMs: number;
}

export function transactionStartSql(
  client: pg.ClientBase,
  readOnly: boolean,
  { claims, requestId, statementTimeoutMs }: TransactionSettings,
): string {
  const settings: Array<[string, string]> = [
    ['role', DATABASE_ROLE[claims.role]],
    ['jwt.claims.org_id', claims.orgId],
    ['jwt.claims.sub', claims.sub],
    ['jwt.claims.role', claims.role],
    // pg_stat_activity shows it: a DBA can find the request's log lines.
    ['application_name', `heimdex-api ${requestId}`],
    ['statement_timeout', String(Math.trunc(statementTimeoutMs))],
  ];
  const calls = settings.map(
    ([name, value]) =>
      `set_config(${client.escapeLiteral(name)}, ${client.escapeLiteral(value)}, true)`,
  );
  return `begin${readOnly ? ' read only' : ''}; select ${calls.join(', ')}`;
}
