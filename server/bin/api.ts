/**
 * The API process. It neither migrates nor starts a database: it connects as
 * heimdex_authenticator (API_DATABASE_URL, or derived from DATABASE_URL in
 * local mode) and serves until SIGTERM/SIGINT, then drains and exits 0.
 */
import { loadConfig, summarizeConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { roleUrl } from '../../runtime/db/roleUrls.js';
import { createApi } from '../createApi.js';
import { runMain } from '../../runtime/process/runMain.js';

await runMain('api', async ({ onShutdown }) => {
  const config = loadConfig();
  const logger = createLogger({ ...config, service: 'heimdex-api' });
  logger.info({ config: summarizeConfig(config) }, 'starting');
  const api = await createApi(config, roleUrl(config.database, 'api'), logger);
  onShutdown(async () => {
    await api.stop();
    logger.info('stopped');
  });
  const address = await api.listen(config.http.port, config.http.host);
  logger.info({ url: `http://${address.address}:${address.port}/graphql` }, 'listening');
});
