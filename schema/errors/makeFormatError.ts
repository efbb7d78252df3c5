/**
 * Apollo's `formatError`: the last gate before a response. Errors this
 * project built pass as they are (also when Apollo wraps them, as it does
 * our validation rules' refusals); the parser's token limit is worded as a
 * limit; Apollo's own request errors (parse, validation, CSRF) become
 * BAD_USER_INPUT with their message, which
 * names only public schema elements; anything else is masked as internal,
 * with an error id that is logged with the cause.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ApolloServerErrorCode, unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '../../runtime/logger.js';
import { genericMessage } from '../../runtime/errors/errorCodes.js';
import { isClientSafe } from './toClientError.js';
import { tokenLimitRefusal } from '../limits/documentLimits.js';

function isApolloCode(code: unknown): code is ApolloServerErrorCode {
  return Object.values<unknown>(ApolloServerErrorCode).includes(code);
}

/** True for Apollo's errors about the request itself; false for failures. */
function isRequestError(code: ApolloServerErrorCode): boolean {
  switch (code) {
    case ApolloServerErrorCode.GRAPHQL_PARSE_FAILED:
    case ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED:
    case ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND:
    case ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED:
    case ApolloServerErrorCode.BAD_USER_INPUT:
    case ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE:
    case ApolloServerErrorCode.BAD_REQUEST:
      return true;
    case ApolloServerErrorCode.INTERNAL_SERVER_ERROR:
      return false;
    default: {
      const never: never = code;
      throw new Error(`unknown Apollo error code ${String(never)}`);
    }
  }
}

export function makeFormatError(
  logger: Logger,
): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted, error) => {
    if (isClientSafe(error)) return formatted;
    const code = formatted.extensions?.['code'];
    // Our validation rules' refusals, which Apollo wraps with its own code.
    const origin = error instanceof GraphQLError ? error.originalError : undefined;
    if (isClientSafe(origin)) {
      const { message, extensions } = origin as GraphQLError;
      return { ...formatted, message, extensions };
    }
    if (code === ApolloServerErrorCode.GRAPHQL_PARSE_FAILED) {
      const refusal = tokenLimitRefusal(origin);
      if (refusal) return { message: refusal.message, extensions: refusal.extensions };
    }
    if (isApolloCode(code) && isRequestError(code)) {
      return {
        message: formatted.message,
        ...(formatted.locations && { locations: formatted.locations }),
        extensions: { code: 'BAD_USER_INPUT' },
      };
    }
    const errorId = randomUUID();
    logger.error({ errorId, err: unwrapResolverError(error) }, 'request failed');
    return {
      message: `${genericMessage('INTERNAL_SERVER_ERROR')} (error id ${errorId})`,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    };
  };
}
