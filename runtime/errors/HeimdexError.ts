import type { ErrorCode } from './errorCodes.js';

/**
 * An error whose message was written for the client: code and message reach
 * the response unchanged. Everything else is classified and masked.
 */
export class HeimdexError extends Error {
  override readonly name = 'HeimdexError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The database could not be reached (pool timeout, lost connection). */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}
