/**
 * From a verified JWT payload to the three claims a request runs with. Only
 * these reach Postgres, and the role only through the allow-list below.
 */
import type { JWTPayload } from 'jose';
import { AuthError } from './AuthError.js';

export const APP_ROLES = ['viewer', 'member', 'admin'] as const;
export type AppRole = (typeof APP_ROLES)[number];

/** The only Postgres roles a request may run as. */
export const DATABASE_ROLE: Readonly<Record<AppRole, string>> = {
  viewer: 'heimdex_viewer',
  member: 'heimdex_member',
  admin: 'heimdex_admin',
};

export interface RequestClaims {
  /** JWT `sub`. */
  sub: string;
  /** Lower-case UUID of the caller's org. */
  orgId: string;
  role: AppRole;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const PRINTABLE = /^[^\u0000-\u001f\u007f]{1,255}$/;

function isAppRole(value: unknown): value is AppRole {
  return typeof value === 'string' && (APP_ROLES as readonly string[]).includes(value);
}

function appMetadata(payload: JWTPayload): Record<string, unknown> {
  const value = payload['app_metadata'];
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** The first of `candidates` that is present; `user_metadata` is never read (users edit it). */
function firstPresent(candidates: unknown[]): unknown {
  return candidates.find((value) => value !== undefined && value !== null);
}

function orgIdOf(payload: JWTPayload): string {
  const org = firstPresent([
    appMetadata(payload)['org_id'],
    payload['https://heimdex.io/org_id'],
    payload['org_id'],
  ]);
  if (org === undefined) throw new AuthError('missing_org', 'FORBIDDEN');
  if (typeof org !== 'string' || !UUID.test(org)) throw new AuthError('invalid_org', 'FORBIDDEN');
  return org.toLowerCase();
}

/**
 * The org role, else a top-level `role` that is one of ours (providers put
 * their own values there, e.g. Supabase's `authenticated`), else member.
 */
function roleOf(payload: JWTPayload): AppRole {
  const role = firstPresent([appMetadata(payload)['org_role'], payload['https://heimdex.io/role']]);
  if (role !== undefined) {
    if (!isAppRole(role)) throw new AuthError('unknown_role', 'FORBIDDEN');
    return role;
  }
  return isAppRole(payload['role']) ? payload['role'] : 'member';
}

export function claimsFromPayload(payload: JWTPayload): RequestClaims {
  const sub = payload.sub;
  if (typeof sub !== 'string' || !PRINTABLE.test(sub)) throw new AuthError('invalid_subject');
  return { sub, orgId: orgIdOf(payload), role: roleOf(payload) };
}
