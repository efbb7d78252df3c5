/**
 * Runs SQL the way a request does: one transaction on a connection as the
 * authenticator (or the worker), role and claims set transaction-locally,
 * and rolled back at the end so every case starts from the same data.
 */
import pg from 'pg';

export type RequestRole = 'heimdex_viewer' | 'heimdex_member' | 'heimdex_admin';

export interface Claims {
  orgId?: string | null;
  sub?: string | null;
  role?: string | null;
}

export async function inRolledBackTransaction<T>(
  url: string,
  setRole: RequestRole | null,
  claims: Claims,
  fn: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(
      `select set_config('role', coalesce($1, current_user), true),
              set_config('jwt.claims.org_id', coalesce($2, ''), true),
              set_config('jwt.claims.sub', coalesce($3, ''), true),
              set_config('jwt.claims.role', coalesce($4, ''), true)`,
      [setRole, claims.orgId ?? null, claims.sub ?? null, claims.role ?? null],
    );
    return await fn(client);
  } finally {
    await client.query('rollback').catch(() => undefined);
    await client.end();
  }
}

/** The SQLSTATE of the error `promise` rejects with (fails the test when it resolves). */
export async function sqlState(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code';
  }
  throw new Error('expected the statement to fail');
}
