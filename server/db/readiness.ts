/**
 * Readiness: the database answers and every migration this build ships has
 * been applied (the API never migrates; a deploy runs `migrate` first). With
 * a read replica, its state is reported but never makes the instance
 * unready: reads fall back to the primary.
 */
import pg from 'pg';
import { readMigrationFiles } from './migrate.js';
import { closesConnection } from '../../runtime/errors/sqlState.js';
import type { ReadReplica, ReplicaReport } from './readReplica.js';

export type Readiness = ({ ready: true } | { ready: false; reason: string }) & {
  replica?: ReplicaReport;
};

export interface ReadinessCheck {
  (): Promise<Readiness>;
}

export async function createReadinessCheck(
  pool: pg.Pool,
  replica?: ReadReplica,
): Promise<ReadinessCheck> {
  const primaryCheck = await createPrimaryCheck(pool);
  if (!replica) return primaryCheck;
  return async () => {
    const [readiness, report] = await Promise.all([primaryCheck(), replica.report()]);
    return { ...readiness, replica: report };
  };
}

async function createPrimaryCheck(pool: pg.Pool): Promise<ReadinessCheck> {
  const expected = (await readMigrationFiles()).map((file) => file.id);
  return async () => {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch {
      return { ready: false, reason: 'database unreachable' };
    }
    let broken = false;
    try {
      const { rows } = await client.query<{ id: string }>(
        'select id from heimdex_migrations.applied',
      );
      const applied = new Set(rows.map((row) => row.id));
      const pending = expected.filter((id) => !applied.has(id));
      return pending.length === 0
        ? { ready: true }
        : { ready: false, reason: `migrations pending: ${pending.join(', ')}` };
    } catch (err) {
      broken = true;
      // An error without SQLSTATE, or one that closes the connection (a
      // terminated backend), is the database going away, not the query.
      const reason =
        err instanceof pg.DatabaseError && !closesConnection(err)
          ? 'migration state unreadable'
          : 'database unreachable';
      return { ready: false, reason };
    } finally {
      client.release(broken);
    }
  };
}
