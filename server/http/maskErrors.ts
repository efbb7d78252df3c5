/** What a client may see of an execution result's errors (schema/errors/toClientError.ts). */
import type { ExecutionResult } from 'graphql';
import type { GatewayContext } from '../../schema/context.js';
import { requestError, toClientError } from '../../schema/errors/toClientError.js';

export function maskErrors(result: ExecutionResult, context: GatewayContext): ExecutionResult {
  if (!result.errors?.length) return result;
  // No data at all: the variables or the operation were refused before execution.
  if (result.data === undefined) return { errors: result.errors.map(requestError) };
  return { ...result, errors: result.errors.map((error) => toClientError(error, context.logger)) };
}
