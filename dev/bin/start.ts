/**
 * `npm start`: the whole service on one machine. Without DATABASE_URL (local
 * mode) it runs an embedded PostgreSQL and migrates it; then it runs each
 * service of LOCAL_SERVICES as a child process with the admin URL (each
 * derives its own role's URL from it), prints how to call the API, and on
 * Ctrl-C / SIGTERM stops the children, then the database.
 */
import {
  ConfigError,
  loadLocalConfig,
  maskUrl,
  summarizeConfig,
  type Config,
} from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { prepareDatabase } from '../prepareDatabase.js';
import { LOCAL_DEMO_ORG, signDevToken } from '../../server/auth/devToken.js';
import { LOCAL_SERVICES } from '../localServices.js';
import { childEnv, startChild, type RunningChild } from '../../runtime/process/childProcess.js';
import { waitUntilReady } from '../waitUntilReady.js';
import { runMain } from '../../runtime/process/runMain.js';

const READY_TIMEOUT_MS = 60_000;

async function printWelcome(config: Config, base: string): Promise<void> {
  if (config.auth.provider !== 'dev') return;
  const token = await signDevToken(config.auth.secret, {
    orgId: LOCAL_DEMO_ORG,
    sub: 'local-developer',
    role: 'admin',
  });
  const query = JSON.stringify({
    query: '{ viewer { userId orgId role } jobs(first: 5) { totalCount nodes { id status } } }',
  });
  process.stdout.write(
    [
      '',
      `Heimdex is running: ${base}/graphql`,
      ...(config.http.ide
        ? [`GraphQL IDE (with a dev token): open ${base}/graphql in a browser`]
        : []),
      `Dev token (org ${LOCAL_DEMO_ORG}, admin, 12 h; more with npm run token):`,
      `  export TOKEN=${token}`,
      'Try:',
      `  curl -s ${base}/graphql -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" -d '${query}'`,
      'Ctrl-C stops.',
      '',
    ].join('\n'),
  );
}

await runMain('start', async ({ onShutdown, shutdown }) => {
  const config = loadLocalConfig();
  if (config.env !== 'local') {
    throw new ConfigError(`npm start runs local mode only; HEIMDEX_ENV is ${config.env}`);
  }
  const logger = createLogger({ ...config, service: 'heimdex' });
  logger.info({ config: summarizeConfig(config) }, 'starting');
  const db = await prepareDatabase(config, logger);
  onShutdown(async () => {
    await db.stop();
    logger.info('stopped');
  });
  if (!db.adminUrl) {
    throw new Error('npm start runs local mode: set DATABASE_URL or leave it unset');
  }
  logger.info({ database: maskUrl(db.adminUrl) }, 'database ready');
  // Local development: grafast's extra checks on (and its start-up warning off).
  // The children are told local mode and the dev secret: they never assume either.
  const env = childEnv({
    HEIMDEX_ENV: 'local',
    DATABASE_URL: db.adminUrl,
    GRAPHILE_ENV: 'development',
    ...(config.auth.provider === 'dev' && { DEV_JWT_SECRET: config.auth.secret }),
    // Each process its own metrics port: the worker the next one, unless given one.
    ...(config.metrics.apiPort !== undefined &&
      config.metrics.workerPort === config.metrics.apiPort && {
        WORKER_METRICS_PORT: String(config.metrics.apiPort + 1),
      }),
  });
  const children: RunningChild[] = [];
  let stopping = false;
  onShutdown(async () => {
    stopping = true;
    await Promise.all(children.map((child) => child.stop(config.shutdownTimeoutMs)));
  });
  for (const service of LOCAL_SERVICES) children.push(startChild(service, env, logger));
  const firstExit = Promise.race(
    children.map(async (child) => ({ name: child.service.name, code: await child.exited })),
  );
  const exitedEarly = ({ name, code }: { name: string; code: number }) =>
    new Error(`service ${name} exited with code ${code}`);

  const base = `http://${config.http.host}:${config.http.port}`;
  const early = await Promise.race([
    waitUntilReady(`${base}/readyz`, READY_TIMEOUT_MS).then(() => undefined),
    firstExit,
  ]);
  if (early) throw exitedEarly(early);
  await printWelcome(config, base);

  const late = await Promise.race([shutdown.then(() => undefined), firstExit]);
  if (late && !stopping) throw exitedEarly(late);
});
