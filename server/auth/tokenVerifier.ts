/**
 * Verifies a bearer token and returns the request's claims.
 *
 * - dev: HS256 with the shared secret (local mode only; config enforces it),
 *   issuer and audience `heimdex-local`, so a token minted elsewhere with the
 *   same secret still fails.
 * - jwks: RS256 or ES256 only, keys from the provider's key set, issuer and
 *   audience required.
 * Both require `exp`, `iat` and `sub` (jose checks `exp` only when it is
 * present, unless told) and refuse tokens older than AUTH_MAX_TOKEN_AGE.
 * Verified tokens are cached by hash for at most a minute, never past their
 * `exp` or maximum age, and the cache is emptied whenever the key set changes,
 * so a key the provider removed stops working at the next key set fetch.
 */
import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER, type AuthConfig } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import { AuthError } from './AuthError.js';
import { claimsFromPayload, type RequestClaims } from './claims.js';
import { reasonForJoseError } from './joseFailure.js';
import { RemoteKeySet } from './remoteKeySet.js';
import { TokenCache, type VerifiedToken } from './tokenCache.js';

export interface TokenVerifier {
  /** Resolves the claims, or rejects with an AuthError. */
  verify(token: string): Promise<RequestClaims>;
  /** The claims of a token verified earlier and still cached; no signature check. */
  cached(token: string): RequestClaims | undefined;
  /** The claims and when the token stops being accepted (a socket is closed then). */
  verifyWithExpiry(token: string): Promise<VerifiedToken>;
  close(): void;
}

type Verify = (token: string) => Promise<JWTPayload>;

function makeVerify(
  auth: AuthConfig,
  logger: Logger,
  onKeySetChange: () => void,
): { verify: Verify; close(): void } {
  const common = {
    requiredClaims: ['exp', 'iat', 'sub'],
    clockTolerance: auth.clockToleranceS,
    maxTokenAge: auth.maxTokenAgeS,
  };
  if (auth.provider === 'dev') {
    const secret = new TextEncoder().encode(auth.secret);
    const options: JWTVerifyOptions = {
      ...common,
      algorithms: ['HS256'],
      issuer: DEV_TOKEN_ISSUER,
      audience: DEV_TOKEN_AUDIENCE,
    };
    return {
      verify: async (token) => (await jwtVerify(token, secret, options)).payload,
      close: () => undefined,
    };
  }
  const keySet = new RemoteKeySet({
    url: auth.jwksUrl,
    cooldownMs: auth.jwksCooldownMs,
    refreshMs: auth.jwksRefreshMs,
    timeoutMs: auth.jwksTimeoutMs,
    logger,
    onChange: onKeySetChange,
  });
  const options: JWTVerifyOptions = {
    ...common,
    algorithms: ['RS256', 'ES256'],
    issuer: auth.issuer,
    audience: auth.audience,
  };
  return {
    verify: async (token) => (await jwtVerify(token, keySet.getKey, options)).payload,
    close: () => keySet.close(),
  };
}

export function createTokenVerifier(
  auth: AuthConfig,
  logger: Logger,
  /** Told of every accepted token: its signature checked now, or earlier (cached). */
  onAccepted?: (how: 'verified' | 'cached') => void,
): TokenVerifier {
  const cache = new TokenCache(auth.tokenCacheSize);
  const { verify, close } = makeVerify(auth, logger, () => cache.clear());
  const verifyWithExpiry = async (token: string): Promise<VerifiedToken> => {
    const key = TokenCache.keyOf(token);
    const cached = cache.lookup(key);
    if (cached) {
      onAccepted?.('cached');
      return cached;
    }
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (err) {
      if (err instanceof AuthError) throw err;
      throw new AuthError(reasonForJoseError(err), 'UNAUTHENTICATED', { cause: err });
    }
    const claims = claimsFromPayload(payload);
    // jose required exp and iat: the token ends at exp or its maximum age.
    const endsAtMs = Math.min(payload.exp ?? 0, (payload.iat ?? 0) + auth.maxTokenAgeS) * 1000;
    cache.set(key, claims, endsAtMs);
    onAccepted?.('verified');
    return { claims, endsAtMs };
  };
  return {
    verify: async (token) => (await verifyWithExpiry(token)).claims,
    verifyWithExpiry,
    cached: (token) => cache.get(TokenCache.keyOf(token)),
    close,
  };
}
