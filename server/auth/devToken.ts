/** Dev tokens (HS256), for local mode's start banner, `npm run token` and tests. */
import { SignJWT } from 'jose';
import { DEV_TOKEN_AUDIENCE, DEV_TOKEN_ISSUER } from '../../runtime/config.js';
import type { AppRole } from './claims.js';

/** The org of the dev token `npm start` prints and the local IDE carries. */
export const LOCAL_DEMO_ORG = 'a0000000-0000-4000-8000-000000000001';

export interface DevTokenClaims {
  orgId: string;
  sub: string;
  role: AppRole;
}

export function signDevToken(
  secret: string,
  { orgId, sub, role }: DevTokenClaims,
  expiresIn: string | number = '12h',
): Promise<string> {
  return new SignJWT({ app_metadata: { org_id: orgId, org_role: role } })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(DEV_TOKEN_ISSUER)
    .setAudience(DEV_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
