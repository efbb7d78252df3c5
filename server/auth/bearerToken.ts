import { AuthError } from './AuthError.js';

/** A compact JWS: three base64url parts, the last may be empty (alg none). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** Far above any real token; stops a huge header costing a verification. */
const MAX_TOKEN_LENGTH = 8192;

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw new AuthError('missing_token');
  const match = /^Bearer +(\S+) *$/i.exec(header);
  const token = match?.[1];
  if (!token || token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) {
    throw new AuthError('malformed');
  }
  return token;
}
