/**
 * The real API (createApi: pool, token verification, schema, Apollo, HTTP)
 * against a test database, on a free port, with its logs captured.
 */
import supertest from 'supertest';
import { loadConfig, type Config } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { createApi, type Api } from '../../server/createApi.js';
import type { TestDatabase } from './testDatabase.js';
import { LogCapture } from './logCapture.js';
import { localEnv } from './localEnv.js';

export interface TestApi {
  api: Api;
  config: Config;
  logs: LogCapture;
  url: string;
  http(): ReturnType<typeof supertest>;
  stop(): Promise<void>;
}

export interface TestApiOptions {
  /** Extra environment, as the process would get it. */
  env?: Record<string, string>;
  /** Override the connection URL (say, a closed port). */
  apiUrl?: string;
  /** Pretend to run in another environment (introspection, suggestions). */
  heimdexEnv?: Config['env'];
}

export async function startTestApi(
  db: TestDatabase,
  options: TestApiOptions = {},
): Promise<TestApi> {
  const loaded = loadConfig({
    ...localEnv(),
    DATABASE_URL: db.urls.admin,
    LOG_LEVEL: 'debug',
    DB_POOL_MAX: '4',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...options.env,
  });
  const config = options.heimdexEnv ? { ...loaded, env: options.heimdexEnv } : loaded;
  const logs = new LogCapture();
  const logger = createLogger({ ...config, service: 'heimdex-api-test' }, logs);
  const api = await createApi(config, options.apiUrl ?? db.urls.api, logger);
  const address = await api.listen(0, '127.0.0.1');
  return {
    api,
    config,
    logs,
    url: `http://127.0.0.1:${address.port}`,
    http: () => supertest(api.server),
    stop: () => api.stop(),
  };
}
