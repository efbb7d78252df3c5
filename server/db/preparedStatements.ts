/**
 * Named (prepared) statements per connection, bounded: node-postgres keeps a
 * connection's prepared statements forever, so only the first
 * MAX_PREPARED distinct statements on a connection are prepared; the rest run
 * unnamed. Connections are recycled by the pool's idle timeout. Through a
 * transaction-mode pooler nothing is prepared: the next transaction may get
 * another server connection, one that never saw the Parse.
 */
import type pg from 'pg';

const MAX_PREPARED = 100;
const preparedByClient = new WeakMap<pg.ClientBase, Set<string>>();

/** The name to send with a statement on `client`, or undefined to run it unnamed. */
export function statementName(
  client: pg.ClientBase,
  name: string | undefined,
  prepare: boolean,
): string | undefined {
  if (name === undefined || !prepare) return undefined;
  let prepared = preparedByClient.get(client);
  if (!prepared) {
    prepared = new Set();
    preparedByClient.set(client, prepared);
  }
  if (prepared.has(name)) return name;
  if (prepared.size >= MAX_PREPARED) return undefined;
  prepared.add(name);
  return name;
}
