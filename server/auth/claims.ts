/**
 * From a verified JWT payload to the three claims a request runs with. Only
 * these reach Postgres, and the role only through the allow-list below.
 */
import type { JWTPayload } from 'jose';
import { isUuid } from '../../runtime/uuid.js';
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

// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const PRINTABLE = /^[^\u0000-\u001f\u007f]{1,255}$/;

function isAppRole(value: unknown): value is AppRole {
  return typeof value === 'string' && (APP_ROLES as readonly string[]).includes(value);
}

/**
 * Where an identity provider may put the org and its role. Both are read from
 * the first namespace that names an org, never one from here and the other
 * from there: a provider that lets some other flow write one namespace must
 * not let that flow pick the role of an org set elsewhere. `user_metadata` is
 * never read (users edit it).
 */
interface ClaimNamespace {
  name: string;
  org: (payload: JWTPayload) => unknown;
  role: (payload: JWTPayload) => unknown;
  /** A role that is not one of ours is the provider's own (Supabase: `authenticated`): member. */
  foreignRolesMeanMember: boolean;
}

function appMetadata(payload: JWTPayload): Record<string, unknown> {
  const value = payload['app_metadata'];
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

export const CLAIM_NAMESPACES: readonly ClaimNamespace[] = [
  {
    name: 'app_metadata',
    org: (p) => appMetadata(p)['org_id'],
    role: (p) => appMetadata(p)['org_role'],
    foreignRolesMeanMember: false,
  },
  {
    name: 'https://heimdex.io/',
    org: (p) => p['https://heimdex.io/org_id'],
    role: (p) => p['https://heimdex.io/role'],
    foreignRolesMeanMember: false,
  },
  {
    name: 'top level',
    org: (p) => p['org_id'],
    role: (p) => p['role'],
    foreignRolesMeanMember: true,
  },
];

const present = (value: unknown): boolean => value !== undefined && value !== null;

function orgAndRoleOf(payload: JWTPayload): { orgId: string; role: AppRole } {
  const namespace = CLAIM_NAMESPACES.find((n) => present(n.org(payload)));
  if (!namespace) throw new AuthError('missing_org', 'FORBIDDEN');
  const org = namespace.org(payload);
  if (!isUuid(org)) throw new AuthError('invalid_org', 'FORBIDDEN');
  const role = namespace.role(payload);
  if (!present(role)) return { orgId: org.toLowerCase(), role: 'member' };
  if (isAppRole(role)) return { orgId: org.toLowerCase(), role };
  if (namespace.foreignRolesMeanMember) return { orgId: org.toLowerCase(), role: 'member' };
  throw new AuthError('unknown_role', 'FORBIDDEN');
}

export function claimsFromPayload(payload: JWTPayload): RequestClaims {
  const sub = payload.sub;
  if (typeof sub !== 'string' || !PRINTABLE.test(sub)) throw new AuthError('invalid_subject');
  return { sub, ...orgAndRoleOf(payload) };
}
