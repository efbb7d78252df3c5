/** What every resolver and plan of a request can reach. Built per request by the HTTP layer. */
import type { RequestClaims } from '../server/auth/claims.js';
import type { RequestTransaction } from '../server/db/requestTransaction.js';
import type { Logger } from '../server/logger.js';
import type { Cost } from './limits/queryCost.js';

export interface GatewayContext {
  requestId: string;
  claims: RequestClaims;
  /** The request's one transaction. */
  db: RequestTransaction;
  /** Bound to the request id. */
  logger: Logger;
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
