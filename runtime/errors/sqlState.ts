/**
 * The one reading of SQLSTATEs (never of message text): which public code a
 * database error maps to, and which errors mean the connection is gone (the
 * API discards it, the worker repeats the call, clients get SERVICE_UNAVAILABLE).
 */
import pg from 'pg';
import type { ErrorCode } from './errorCodes.js';

/** The server went away: admin or crash shutdown, starting up or shutting down. */
const SERVER_GONE_STATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
]);
/** Class 08 is "connection exception". */
const CONNECTION_EXCEPTION_CLASS = '08';

/** Socket errors from Node while connecting or talking to the server. */
const NETWORK_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** 42501 insufficient_privilege (RLS, grants); HX403 an append-only table. */
const FORBIDDEN_STATES = new Set(['42501', 'HX403']);
/** HX409 a status transition the job's status machine refuses; 23505 a duplicate. */
const CONFLICT_STATES = new Set(['HX409', '23505']);
/** HX429 the org's quota of active jobs (sql/migrations/000015_fair_queue.sql). */
const QUOTA_STATES = new Set(['HX429']);
/** Integrity violations and HX400 (a job's id, org or type changing). */
const BAD_INPUT_STATES = new Set(['23502', '23503', '23514', 'HX400']);
/** Class 22 is "data exception": a value of the wrong shape or range. */
const BAD_INPUT_CLASSES = new Set(['22']);
/** Cancelled by statement_timeout, serialization failure, deadlock: retrying may succeed. */
const RETRYABLE_STATES = new Set(['57014', '40001', '40P01']);
/** Insufficient resources, operator intervention. */
const UNAVAILABLE_CLASSES = new Set(['53']);

function isServerGone(state: string): boolean {
  return SERVER_GONE_STATES.has(state) || state.startsWith(CONNECTION_EXCEPTION_CLASS);
}

/** The public code of a database error with this SQLSTATE. */
export function classifySqlState(state: string): ErrorCode {
  const klass = state.slice(0, 2);
  if (FORBIDDEN_STATES.has(state)) return 'FORBIDDEN';
  if (CONFLICT_STATES.has(state)) return 'CONFLICT';
  if (QUOTA_STATES.has(state)) return 'QUOTA_EXCEEDED';
  if (BAD_INPUT_STATES.has(state) || BAD_INPUT_CLASSES.has(klass)) return 'BAD_USER_INPUT';
  if (isServerGone(state) || RETRYABLE_STATES.has(state) || UNAVAILABLE_CLASSES.has(klass)) {
    return 'SERVICE_UNAVAILABLE';
  }
  return 'INTERNAL_SERVER_ERROR';
}

/**
 * A database error after which the server closes the connection: the
 * database going away, not the statement failing. Discard the connection.
 */
export function closesConnection(err: unknown): boolean {
  return err instanceof pg.DatabaseError && isServerGone(err.code ?? '');
}

/**
 * True when `err` says the connection was lost rather than the statement
 * refused. node-postgres reports a connection that dropped mid-query, and a
 * pool that timed out connecting, as a plain `Error` with no code at all.
 */
export function isConnectionLost(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return closesConnection(err);
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return NETWORK_ERRNOS.has(code);
  return err.constructor === Error;
}
