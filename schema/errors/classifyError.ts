/**
 * Maps any error to one of the public codes: SQLSTATE by named lists (never
 * by message text), then our own error classes; the rest is internal.
 */
import { GraphQLError } from 'graphql';
import pg from 'pg';
import { ArgumentValidationError } from 'type-graphql';
import type { ErrorCode } from './errorCodes.js';
import { DatabaseUnavailableError, HeimdexError } from './HeimdexError.js';

/** 42501 insufficient_privilege (RLS, grants); HX403 an append-only table. */
const FORBIDDEN_STATES = new Set(['42501', 'HX403']);
/** HX409 a status transition the job's status machine refuses; 23505 a duplicate. */
const CONFLICT_STATES = new Set(['HX409', '23505']);
/** Integrity violations and HX400 (a job's id, org or type changing). */
const BAD_INPUT_STATES = new Set(['23502', '23503', '23514', 'HX400']);
/** Class 22 is "data exception": a value of the wrong shape or range. */
const BAD_INPUT_CLASSES = new Set(['22']);
/** Cancelled by statement_timeout, serialization failure, deadlock: retrying may succeed. */
const UNAVAILABLE_STATES = new Set(['57014', '40001', '40P01', '57P01', '57P02', '57P03']);
/** Connection exceptions, insufficient resources, operator intervention. */
const UNAVAILABLE_CLASSES = new Set(['08', '53']);

function classifySqlState(state: string): ErrorCode {
  const klass = state.slice(0, 2);
  if (FORBIDDEN_STATES.has(state)) return 'FORBIDDEN';
  if (CONFLICT_STATES.has(state)) return 'CONFLICT';
  if (BAD_INPUT_STATES.has(state) || BAD_INPUT_CLASSES.has(klass)) return 'BAD_USER_INPUT';
  if (UNAVAILABLE_STATES.has(state) || UNAVAILABLE_CLASSES.has(klass)) return 'SERVICE_UNAVAILABLE';
  return 'INTERNAL_SERVER_ERROR';
}

/** The innermost cause that is not a GraphQLError wrapper. */
export function rootCause(err: unknown): unknown {
  let current = err;
  while (current instanceof GraphQLError && current.originalError) {
    current = current.originalError;
  }
  return current;
}

export function classifyError(err: unknown): ErrorCode {
  const cause = rootCause(err);
  if (cause instanceof HeimdexError) return cause.code;
  if (cause instanceof DatabaseUnavailableError) return 'SERVICE_UNAVAILABLE';
  if (cause instanceof ArgumentValidationError) return 'BAD_USER_INPUT';
  if (cause instanceof pg.DatabaseError && cause.code) return classifySqlState(cause.code);
  return 'INTERNAL_SERVER_ERROR';
}
