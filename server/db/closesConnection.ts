import pg from 'pg';

/**
 * SQLSTATEs after which the server closes the connection: admin or crash
 * shutdown, connection exceptions. Such an error is the database going away,
 * not the statement failing; the connection must be discarded.
 */
export function closesConnection(err: unknown): boolean {
  const code = err instanceof pg.DatabaseError ? err.code : undefined;
  return (
    code !== undefined && (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code))
  );
}
