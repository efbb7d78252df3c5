/**
 * `npm test`: one PostgreSQL (TEST_DATABASE_URL, or an embedded one in a
 * temporary folder), one template database migrated once, then node's test
 * runner over every compiled `*.test.js`; each test file clones the template
 * (test/support/testDatabase.ts). Extra arguments are passed to `node --test`.
 *
 * Interrupted (Ctrl-C, SIGTERM from CI), it stops the tests and still drops
 * the template and stops the embedded server, which runs in a process group
 * of its own and would otherwise outlive the run; then it exits 128 + signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { childEnv } from '../runtime/process/childProcess.js';
import { loadTestSettings } from './support/testSettings.js';
import { createLogger } from '../runtime/logger.js';
import { withDatabase } from '../runtime/db/roleUrls.js';
import { projectRoot } from '../runtime/paths.js';
import {
  createDatabase,
  dropDatabase,
  migrateLocally,
  scratchName,
  scratchServer,
} from '../dev/scratchDatabase.js';

const settings = loadTestSettings();
const logger = createLogger({
  env: 'local',
  version: 'test',
  logLevel: 'warn',
  service: 'heimdex-test',
});

let interrupted: NodeJS.Signals | undefined;
let tests: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted ??= signal;
    tests?.kill(signal);
  });
}

const server = await scratchServer(settings.databaseUrl, logger);
const serverUrl = server.url;
const template = scratchName('tpl');
process.stdout.write(`# PostgreSQL ${server.description}; template ${template}\n`);

let exitCode = 1;
try {
  await createDatabase(serverUrl, template);
  await migrateLocally(withDatabase(serverUrl, template), logger);
  const args = process.argv.slice(2);
  const patterns = args.some((a) => !a.startsWith('-')) ? [] : ['dist/test/**/*.test.js'];
  exitCode = await new Promise<number>((resolve) => {
    if (interrupted) return resolve(1);
    const child = (tests = spawn(
      process.execPath,
      ['--test', '--test-concurrency=2', '--test-timeout=120000', ...args, ...patterns],
      {
        cwd: projectRoot,
        stdio: 'inherit',
        // Processes the tests spawn run in local mode with a dev secret of this run's own.
        env: childEnv({
          TEST_DATABASE_URL: serverUrl,
          HEIMDEX_TEST_TEMPLATE: template,
          HEIMDEX_ENV: 'local',
          DEV_JWT_SECRET: randomBytes(32).toString('base64url'),
        }),
      },
    ));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await dropDatabase(serverUrl, template);
  await server.stop();
}
process.exit(interrupted ? 128 + constants.signals[interrupted] : exitCode);
