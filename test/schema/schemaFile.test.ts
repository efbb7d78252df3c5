/**
 * The committed schema.graphql is what frontend teams generate types from:
 * it must be exactly the schema the API serves. Fails when it is stale; fix
 * with `npm run schema`.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/testDatabase.js';
import { projectRoot } from '../../runtime/paths.js';
import { loadConfig } from '../../runtime/config.js';
import { localEnv } from '../support/localEnv.js';
import { buildGatewaySchema } from '../../schema/buildGatewaySchema.js';
import { printPublicSchema } from '../../schema/printPublicSchema.js';

let db: TestDatabase;
let pool: pg.Pool;

before(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.urls.api, max: 1 });
});
after(async () => {
  await pool.end();
  await db.drop();
});

it('schema.graphql matches the schema the API serves (run `npm run schema` to update it)', async () => {
  const { publicSchema } = await buildGatewaySchema(pool, loadConfig(localEnv()).jobs);
  const committed = await readFile(path.join(projectRoot, 'schema.graphql'), 'utf8');
  assert.equal(committed, printPublicSchema(publicSchema));
});
