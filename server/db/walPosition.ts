/**
 * Read-your-writes across a primary and its replica: a position in the
 * primary's write-ahead log, as PostgreSQL prints a `pg_lsn` (`16/B374D848`),
 * travels in the `Heimdex-Consistency` response header of every committed
 * mutation; a query that sends it back is served by the replica only once the
 * replica has replayed that far (server/db/readReplica.ts).
 */

/** Response header of a committed mutation; request header of a query that must see it. */
export const CONSISTENCY_HEADER = 'Heimdex-Consistency';

/** Two groups of 1 to 8 hex digits: PostgreSQL 15 prints `0/3000148`, 18 pads: `0/03000148`. */
const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** The position as a number (64 bits: the two halves), or undefined when `text` is not one. */
export function parseWalPosition(text: string): bigint | undefined {
  const match = LSN.exec(text.trim());
  if (!match) return undefined;
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export class BadConsistencyHeaderError extends Error {
  override readonly name = 'BadConsistencyHeaderError';
}

/**
 * The position a request asks to see, from its `Heimdex-Consistency` header
 * (undefined without one). A header that is not a position is refused, never
 * ignored: the client meant to read its writes.
 */
export function requiredWalPosition(header: string | string[] | undefined): bigint | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  const position = parseWalPosition(value);
  if (position === undefined) {
    throw new BadConsistencyHeaderError(
      `The ${CONSISTENCY_HEADER} header must be the value a mutation response gave in its own ${CONSISTENCY_HEADER} header (a WAL position such as 16/B374D848); got ${JSON.stringify(value.slice(0, 40))}.`,
    );
  }
  return position;
}
