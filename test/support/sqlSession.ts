/**
 * Runs SQL the way a request does: one transaction on a connection as the
 * authenticator (or the worker), role and claims set transaction-locally,
 * and rolled back at the end so every case starts from the same data.
 */
import pg from 'pg';
import { CLAIM_SETTINGS, setLocalSettingsSql } from '../../runtime/db/transactionSettings.js';

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
    // Without a role to set, the transaction stays the connection's own role.
    const names = [CLAIM_SETTINGS.orgId, CLAIM_SETTINGS.sub, CLAIM_SETTINGS.role] as const;
    const values = [claims.orgId ?? '', claims.sub ?? '', claims.role ?? ''];
    await client.query(
      `select ${setLocalSettingsSql(setRole ? ['role', ...names] : names)}`,
      setRole ? [setRole, ...values] : values,
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
