/** What every resolver and plan of a request can reach. Built per request by the HTTP layer. */
import type { RequestClaims } from '../server/auth/claims.js';
import type { RequestTransaction } from '../server/db/requestTransaction.js';
import type { Logger } from '../server/logger.js';

export interface GatewayContext {
  requestId: string;
  claims: RequestClaims;
  /** The request's one transaction. */
  db: RequestTransaction;
  /** Bound to the request id. */
  logger: Logger;
}
