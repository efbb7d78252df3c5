/**
 * Dropping a scratch database: a session that is already on its way out is
 * let go, not terminated (a terminated idle client of an ended pool would be
 * an uncaught exception in the test that owned it); one that stays is forced.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { loadTestSettings } from '../support/testSettings.js';
import { withDatabase } from '../../runtime/db/roleUrls.js';
import { createDatabase, dropDatabase, scratchName } from '../../dev/scratchDatabase.js';

const serverUrl = loadTestSettings().databaseUrl;
if (!serverUrl) throw new Error('Run the tests with `npm test`.');

async function exists(name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    const { rowCount } = await c.query('select 1 from pg_database where datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await c.end();
  }
}

async function connectedTo(
  name: string,
): Promise<{ client: pg.Client; errors: string[]; ended: Promise<void> }> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl!, name) });
  const errors: string[] = [];
  client.on('error', (err: Error & { code?: string }) => errors.push(err.code ?? err.message));
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  await client.connect();
  return { client, errors, ended };
}

describe('dropDatabase', () => {
  it('lets a session that is closing leave instead of terminating it', async () => {
    const name = scratchName('t');
    await createDatabase(serverUrl, name);
    const { client, errors } = await connectedTo(name);
    const leaving = new Promise<void>((resolve) => {
      setTimeout(() => void client.end().then(resolve), 300);
    });
    await dropDatabase(serverUrl, name);
    await leaving;
    assert.deepEqual(errors, []);
    assert.equal(await exists(name), false);
  });

  it('forces out a session that stays', async () => {
    const name = scratchName('t');
    await createDatabase(serverUrl, name);
    const { errors, ended } = await connectedTo(name);
    await dropDatabase(serverUrl, name);
    assert.equal(await exists(name), false);
    await ended;
    assert.equal(errors[0], '57P01');
  });
});
