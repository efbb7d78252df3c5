/**
 * The migration job: bring the database up to date as heimdex_owner
 * (MIGRATION_DATABASE_URL, or derived from DATABASE_URL in local mode), then
 * exit. It never starts a database; `npm run migrate` does, locally.
 */
import { loadConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { runMain } from '../../runtime/process/runMain.js';
import { migrateDatabase } from '../db/migrateDatabase.js';

await runMain('migrate', async () => {
  const config = loadConfig();
  const logger = createLogger({ ...config, service: 'heimdex-migrate' });
  await migrateDatabase(config, config.database.adminUrl, logger);
});
