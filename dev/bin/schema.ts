/**
 * `npm run schema`: writes the public schema to `schema.graphql` (committed;
 * a test fails when it is stale). Needs a migrated database: local mode
 * starts and migrates one like `npm start` (HEIMDEX_ENV unset means local here).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { loadLocalConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { prepareDatabase } from '../prepareDatabase.js';
import { roleUrl } from '../../runtime/db/roleUrls.js';
import { projectRoot } from '../../runtime/paths.js';
import { buildGatewaySchema } from '../../schema/buildGatewaySchema.js';
import { printPublicSchema } from '../../schema/printPublicSchema.js';
import { runMain } from '../../runtime/process/runMain.js';

await runMain('schema', async ({ onShutdown }) => {
  const config = loadLocalConfig();
  const logger = createLogger({ ...config, service: 'heimdex-schema' });
  const db = await prepareDatabase(config, logger);
  onShutdown(db.stop);
  const pool = new pg.Pool({
    connectionString: roleUrl(config.database, 'api', db.adminUrl),
    max: 2,
  });
  try {
    const { publicSchema } = await buildGatewaySchema(pool, config.jobs);
    const file = path.join(projectRoot, 'schema.graphql');
    await writeFile(file, printPublicSchema(publicSchema));
    logger.info({ file }, 'schema written');
  } finally {
    await pool.end();
    await db.stop();
  }
});
