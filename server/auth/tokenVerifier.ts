/**
 * Verifies a bearer token and returns the request's claims.
 *
 * - dev: HS256 with the shared secret (local mode only; config enforces it).
 * - jwks: RS256 or ES256 only, keys from the provider's key set, issuer and
 *   audience required.
 * Both require `exp` and `sub` (jose checks `exp` only when it is present,
 * unless told). Verified tokens are cached by hash until they expire.
 */
import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import type { AuthConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { AuthError } from './AuthError.js';
import { claimsFromPayload, type RequestClaims } from './claims.js';
import { reasonForJoseError } from './joseFailure.js';
import { RemoteKeySet } from './remoteKeySet.js';
import { TokenCache } from './tokenCache.js';

export interface TokenVerifier {
  /** Resolves the claims, or rejects with an AuthError. */
  verify(token: string): Promise<RequestClaims>;
  close(): void;
}

type Verify = (token: string) => Promise<JWTPayload>;

function makeVerify(auth: AuthConfig, logger: Logger): { verify: Verify; close(): void } {
  const common = { requiredClaims: ['exp', 'sub'], clockTolerance: auth.clockToleranceS };
  if (auth.provider === 'dev') {
    const secret = new TextEncoder().encode(auth.secret);
    const options: JWTVerifyOptions = { ...common, algorithms: ['HS256'] };
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

export function createTokenVerifier(auth: AuthConfig, logger: Logger): TokenVerifier {
  const { verify, close } = makeVerify(auth, logger);
  const cache = new TokenCache(auth.tokenCacheSize);
  return {
    async verify(token) {
      const key = TokenCache.keyOf(token);
      const cached = cache.get(key);
      if (cached) return cached;
      let payload: JWTPayload;
      try {
        payload = await verify(token);
      } catch (err) {
        if (err instanceof AuthError) throw err;
        throw new AuthError(reasonForJoseError(err), 'UNAUTHENTICATED', { cause: err });
      }
      const claims = claimsFromPayload(payload);
      cache.set(key, claims, (payload.exp ?? 0) * 1000);
      return claims;
    },
    close,
  };
}
