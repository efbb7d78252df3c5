/**
 * Turns an execution error into what the client may see: a code from the
 * closed set, a message written for clients (ours, or a generic one), and for
 * internal or unavailable errors an id that is logged with the real cause.
 * SQL, constraint, table and host names stay in the log.
 */
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { ValidationError } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import type { Logger } from '../../runtime/logger.js';
import { carriesErrorId, genericMessage, type ErrorCode } from '../../runtime/errors/errorCodes.js';
import { classifyError, isGrafastRefusal, rootCause } from './classifyError.js';
import { HeimdexError } from '../../runtime/errors/HeimdexError.js';

/** Errors built here (or by the HTTP layer) that are safe to send as they are. */
const clientSafe = new WeakSet<GraphQLError>();

export function isClientSafe(error: unknown): boolean {
  return error instanceof GraphQLError && clientSafe.has(error);
}

function describeValidation(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => `${prefix}${m}`),
    ...describeValidation(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}

function clientMessage(code: ErrorCode, cause: unknown): string {
  if (cause instanceof HeimdexError || isGrafastRefusal(cause)) return (cause as Error).message;
  if (cause instanceof ArgumentValidationError) {
    const details = describeValidation(cause.extensions.validationErrors);
    return details.length > 0 ? `Invalid input: ${details.join('; ')}.` : genericMessage(code);
  }
  return genericMessage(code);
}

/** A client-safe error with `code`, and `message` shown as it is; `details` join the extensions. */
export function clientError(
  code: ErrorCode,
  message: string,
  from?: Partial<Pick<GraphQLError, 'nodes' | 'source' | 'positions' | 'path'>>,
  errorId?: string,
  details?: Record<string, unknown>,
): GraphQLError {
  const error = new GraphQLError(message, {
    nodes: from?.nodes,
    source: from?.source,
    positions: from?.positions,
    path: from?.path,
    extensions: { ...details, code, ...(errorId && { errorId }) },
  });
  clientSafe.add(error);
  return error;
}

/** A client-safe error this one wraps (delegation re-locates errors), if any. */
function safeOrigin(error: GraphQLError): GraphQLError | undefined {
  let current: unknown = error;
  while (current instanceof GraphQLError) {
    if (clientSafe.has(current)) return current;
    current = current.originalError;
  }
  return undefined;
}

/** Classifies, logs and masks one error of an execution result. */
export function toClientError(error: GraphQLError, logger: Logger): GraphQLError {
  const origin = safeOrigin(error);
  if (origin === error) return error;
  if (origin) {
    const { code, errorId } = origin.extensions as { code: ErrorCode; errorId?: string };
    return clientError(code, origin.message, error, errorId);
  }
  const code = classifyError(error);
  const cause = rootCause(error);
  const errorId = carriesErrorId(code) ? randomUUID() : undefined;
  const details = { code, errorId, path: error.path, err: cause };
  if (code === 'INTERNAL_SERVER_ERROR') logger.error(details, 'request failed');
  else if (errorId) logger.warn(details, 'request failed');
  else logger.debug(details, 'request refused');
  const message = clientMessage(code, cause);
  return clientError(code, errorId ? `${message} (error id ${errorId})` : message, error, errorId);
}

/**
 * A refusal of the document itself, found before anything ran (parsing,
 * validation, the subscription's own checks): GraphQL's messages there name
 * only public schema elements and the client's own input.
 */
export function requestError(error: GraphQLError): GraphQLError {
  return isClientSafe(error) ? error : clientError('BAD_USER_INPUT', error.message, error);
}

/**
 * GraphQL's refusal of the request's variables (a value its type does not
 * accept), found before anything ran: the message names only public schema
 * elements and the client's own input. Logged at debug, like any refusal.
 */
export function variableError(error: GraphQLError, logger: Logger): GraphQLError {
  logger.debug({ code: 'BAD_USER_INPUT', err: error }, 'request refused');
  return clientError('BAD_USER_INPUT', error.message, error);
}
