/**
 * Ends the request's transaction: commit when the operation had no error,
 * roll back otherwise. A rolled-back mutation wrote nothing, so its data is
 * not returned: the client sees `data: null` and the errors. A commit that
 * fails turns the whole response into that failure.
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { RequestContext } from './requestContext.js';

export async function settleTransaction(
  result: ExecutionResult,
  context: RequestContext,
  isMutation: boolean,
): Promise<ExecutionResult> {
  const failed = (result.errors?.length ?? 0) > 0;
  try {
    await context.db.finish(!failed);
  } catch (err) {
    return {
      data: null,
      errors: [new GraphQLError('the transaction did not commit', { originalError: err as Error })],
    };
  }
  if (failed && isMutation && result.data !== undefined) return { ...result, data: null };
  return result;
}
