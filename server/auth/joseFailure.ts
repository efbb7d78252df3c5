/** jose's error codes, as the reasons we log. */
import { errors } from 'jose';
import type { AuthFailureReason } from './AuthError.js';

function claimReason({ claim, reason }: errors.JWTClaimValidationFailed): AuthFailureReason {
  if (reason === 'missing') return 'missing_claim';
  switch (claim) {
    case 'nbf':
      return 'not_yet_valid';
    case 'iss':
      return 'wrong_issuer';
    case 'aud':
      return 'wrong_audience';
    case 'exp':
      return 'expired';
    default:
      return 'missing_claim';
  }
}

export function reasonForJoseError(err: unknown): AuthFailureReason {
  if (!(err instanceof errors.JOSEError)) return 'malformed';
  switch (err.code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return claimReason(err as errors.JWTClaimValidationFailed);
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'bad_signature';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'algorithm_not_allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'unknown_key';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JOSE_GENERIC':
    case 'ERR_JWE_DECRYPTION_FAILED':
    case 'ERR_JWE_INVALID':
    case 'ERR_JWK_INVALID':
    case 'ERR_JWKS_INVALID':
    case 'ERR_JWKS_TIMEOUT':
      return 'malformed';
  }
  // A code a later jose adds: still a token we cannot accept.
  return 'malformed';
}
