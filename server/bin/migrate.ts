/** `npm run migrate`: bring the database up to date, then exit. */
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { prepareDatabase } from '../db/prepareDatabase.js';
import { runMain } from './runMain.js';

await runMain('migrate', async ({ onShutdown }) => {
  const config = loadConfig();
  const logger = createLogger({ ...config, service: 'heimdex-migrate' });
  const db = await prepareDatabase(config, logger);
  onShutdown(db.stop);
  await db.stop();
});
