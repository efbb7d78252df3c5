/**
 * Maps any error to one of the public codes: our own error classes and
 * grafast's SafeError, then the SQLSTATE (runtime/errors/sqlState.ts); the
 * rest is internal.
 */
import { GraphQLError } from 'graphql';
import { isSafeError } from 'grafast';
import pg from 'pg';
import { ArgumentValidationError } from 'type-graphql';
import type { ErrorCode } from '../../runtime/errors/errorCodes.js';
import { DatabaseUnavailableError, HeimdexError } from '../../runtime/errors/HeimdexError.js';
import { classifySqlState } from '../../runtime/errors/sqlState.js';

/** The innermost cause that is not a GraphQLError wrapper. */
export function rootCause(err: unknown): unknown {
  let current = err;
  while (current instanceof GraphQLError && current.originalError) {
    current = current.originalError;
  }
  return current;
}

/**
 * grafast's SafeError: a message written to be shown (an invalid cursor, a
 * cursor of another ordering, `offset` with `last`, a plan too costly),
 * about the request, not a failure of ours.
 */
export function isGrafastRefusal(cause: unknown): boolean {
  return cause instanceof Error && isSafeError(cause) === true;
}

export function classifyError(err: unknown): ErrorCode {
  const cause = rootCause(err);
  if (isGrafastRefusal(cause)) return 'BAD_USER_INPUT';
  if (cause instanceof HeimdexError) return cause.code;
  if (cause instanceof DatabaseUnavailableError) return 'SERVICE_UNAVAILABLE';
  if (cause instanceof ArgumentValidationError) return 'BAD_USER_INPUT';
  if (cause instanceof pg.DatabaseError && cause.code) return classifySqlState(cause.code);
  return 'INTERNAL_SERVER_ERROR';
}
