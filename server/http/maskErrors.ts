/**
 * What a client may see of an execution result's errors: every error goes
 * through the one error map (schema/errors/toClientError.ts), with data or
 * without. A result without data is a failure before any field ran (say, in
 * planning) and is masked and logged like any other; the variables were
 * checked before execution (server/http/apolloGateway.ts), so none of these
 * is GraphQL refusing them.
 */
import type { ExecutionResult } from 'graphql';
import type { Logger } from '../../runtime/logger.js';
import { toClientError } from '../../schema/errors/toClientError.js';

export function maskErrors(result: ExecutionResult, logger: Logger): ExecutionResult {
  if (!result.errors?.length) return result;
  return { ...result, errors: result.errors.map((error) => toClientError(error, logger)) };
}
