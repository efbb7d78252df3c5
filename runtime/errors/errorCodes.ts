/**
 * The closed set of error codes clients see (ARCHITECTURE, "Errors clients
 * see"), with the HTTP status and the generic message each one carries.
 */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT',
  'RATE_LIMITED',
  'QUOTA_EXCEEDED',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

function unreachable(code: never): never {
  throw new Error(`unknown error code ${String(code)}`);
}

/** The status of a response that this error refuses as a whole. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'BAD_USER_INPUT':
      return 400;
    case 'CONFLICT':
      return 409;
    case 'RATE_LIMITED':
    case 'QUOTA_EXCEEDED':
      return 429;
    case 'SERVICE_UNAVAILABLE':
      return 503;
    case 'INTERNAL_SERVER_ERROR':
      return 500;
    default:
      return unreachable(code);
  }
}

/** What a client is told when the cause may not be shown. */
export function genericMessage(code: ErrorCode): string {
  switch (code) {
    case 'UNAUTHENTICATED':
      return 'A valid bearer token is required.';
    case 'FORBIDDEN':
      return 'You are not allowed to do this.';
    case 'NOT_FOUND':
      return 'Not found.';
    case 'BAD_USER_INPUT':
      return 'The input is not valid.';
    case 'CONFLICT':
      return "The job's current status does not allow this change.";
    case 'RATE_LIMITED':
      return 'Too many requests: retry after the number of seconds in Retry-After.';
    case 'QUOTA_EXCEEDED':
      return 'Your org already has the most active (queued or running) jobs allowed; wait for some to finish, or cancel some.';
    case 'SERVICE_UNAVAILABLE':
      return 'The service is temporarily unavailable; retry shortly.';
    case 'INTERNAL_SERVER_ERROR':
      return 'Internal server error.';
    default:
      return unreachable(code);
  }
}

/** Errors whose cause stays in the log; the client gets an error id to quote. */
export function carriesErrorId(code: ErrorCode): boolean {
  return code === 'INTERNAL_SERVER_ERROR' || code === 'SERVICE_UNAVAILABLE';
}
