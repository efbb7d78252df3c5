/** Real signed tokens for tests: dev (HS256) tokens with any claims or header. */
import { SignJWT, type JWTPayload } from 'jose';
import type { AppRole } from '../../server/auth/claims.js';
import { DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from '../../runtime/config.js';

export interface TokenOptions {
  secret: string;
  /** Default: now + 1 h. Seconds since the epoch. */
  exp?: number;
  nbf?: number;
  /** Default: now; null leaves it out. */
  iat?: number | null;
  alg?: string;
  kid?: string;
  /** Default: the dev issuer and audience; null leaves the claim out. */
  issuer?: string | null;
  audience?: string | null;
}

export function signToken(payload: JWTPayload, options: TokenOptions): Promise<string> {
  const jwt = new SignJWT(payload).setProtectedHeader({
    alg: options.alg ?? 'HS256',
    ...(options.kid && { kid: options.kid }),
  });
  if (options.iat !== null) jwt.setIssuedAt(options.iat);
  if (options.exp !== 0) jwt.setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 3600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  const issuer = options.issuer === undefined ? DEV_TOKEN_ISSUER : options.issuer;
  const audience = options.audience === undefined ? DEV_TOKEN_AUDIENCE : options.audience;
  if (issuer !== null) jwt.setIssuer(issuer);
  if (audience !== null) jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}

/** A token as an identity provider issues it for a member of `orgId`. */
export function tokenFor(
  secret: string,
  orgId: string,
  role: AppRole = 'member',
  sub = `user-${role}`,
): Promise<string> {
  return signToken({ sub, app_metadata: { org_id: orgId, org_role: role } }, { secret });
}

/** An unsigned token (`alg: none`), as an attacker would write one. */
export function unsignedToken(payload: JWTPayload): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}
