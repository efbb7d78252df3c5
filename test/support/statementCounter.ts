/**
 * Counts the statements an API's request pool sends, to prove that a
 * refused request did no database work (counted, not inferred from timing).
 * Every client the pool hands out has its `query` counted once wrapped.
 */
import type pg from 'pg';

export interface StatementCounter {
  readonly count: number;
}

export function countStatements(pool: pg.Pool): StatementCounter {
  const wrapped = new WeakSet<pg.PoolClient>();
  let count = 0;
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      count += 1;
      return query(...args);
    }) as typeof client.query;
  });
  return {
    get count() {
      return count;
    },
  };
}
