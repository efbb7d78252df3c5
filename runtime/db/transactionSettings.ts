/**
 * The one builder of the SQL that makes a transaction the caller's (the API's
 * request transaction, the worker's ledger transitions, tests): each setting
 * set with `pg_catalog.set_config(name, value, true)`, local to the
 * transaction, its value always a parameter. The names are this file's
 * constants, never input; the claim helpers of the migrations read them.
 */
export const CLAIM_SETTINGS = {
  orgId: 'jwt.claims.org_id',
  sub: 'jwt.claims.sub',
  role: 'jwt.claims.role',
} as const;

export type SettingName =
  | 'role'
  | 'application_name'
  | 'statement_timeout'
  | (typeof CLAIM_SETTINGS)[keyof typeof CLAIM_SETTINGS];

/** `pg_catalog.set_config('<name>', $n::text, true), ...` in order, parameters from `$first`. */
export function setLocalSettingsSql(names: readonly SettingName[], first = 1): string {
  return names
    .map((name, i) => `pg_catalog.set_config('${name}', $${first + i}::text, true)`)
    .join(', ');
}
