/**
 * `npm run migrate`: bring the local database up to date, then exit (local
 * mode without DATABASE_URL: the embedded PostgreSQL, started and stopped;
 * HEIMDEX_ENV unset means local here, as for `npm start`).
 */
import { loadLocalConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { prepareDatabase } from '../prepareDatabase.js';
import { runMain } from '../../runtime/process/runMain.js';

await runMain('migrate', async ({ onShutdown }) => {
  const config = loadLocalConfig();
  const logger = createLogger({ ...config, service: 'heimdex-migrate' });
  const db = await prepareDatabase(config, logger);
  onShutdown(db.stop);
  await db.stop();
});
