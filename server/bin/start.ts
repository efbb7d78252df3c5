/**
 * `npm start`: the whole service on one machine. Without DATABASE_URL (local
 * mode) it runs an embedded PostgreSQL, migrates it, and keeps it up until
 * Ctrl-C / SIGTERM.
 */
import { loadConfig, summarizeConfig, maskUrl } from '../config.js';
import { createLogger } from '../logger.js';
import { prepareDatabase } from '../db/prepareDatabase.js';
import { runMain } from './runMain.js';

await runMain('start', async ({ onShutdown, shutdown }) => {
  const config = loadConfig();
  const logger = createLogger({ ...config, service: 'heimdex' });
  logger.info({ config: summarizeConfig(config) }, 'starting');
  const db = await prepareDatabase(config, logger);
  onShutdown(async () => {
    await db.stop();
    logger.info('stopped');
  });
  logger.info({ database: maskUrl(db.adminUrl) }, 'database ready; Ctrl-C stops');
  await shutdown;
});
