/**
 * Why a request's credentials were refused. The reason is logged (never the
 * token); the code decides the response: 401, 403 or 503.
 */
export const AUTH_FAILURE_REASONS = [
  'missing_token',
  'malformed',
  'expired',
  'not_yet_valid',
  'bad_signature',
  'algorithm_not_allowed',
  'wrong_issuer',
  'wrong_audience',
  'missing_claim',
  'invalid_subject',
  'unknown_key',
  'key_set_unavailable',
  'missing_org',
  'invalid_org',
  'unknown_role',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];
export type AuthFailureCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'SERVICE_UNAVAILABLE';

export class AuthError extends Error {
  override readonly name = 'AuthError';

  constructor(
    readonly reason: AuthFailureReason,
    readonly code: AuthFailureCode = 'UNAUTHENTICATED',
    options?: ErrorOptions,
  ) {
    super(`authentication failed: ${reason}`, options);
  }
}
