/**
 * `npm test`: one PostgreSQL (TEST_DATABASE_URL, or an embedded one in a
 * temporary folder), one template database migrated once, then node's test
 * runner over every compiled `*.test.js`; each test file clones the template
 * (test/support/testDatabase.ts). Extra arguments are passed to `node --test`.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { childEnv, loadTestSettings } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { startEmbeddedPostgres } from '../server/db/embeddedPostgres.js';
import { bootstrapLocalRoles, migrate } from '../server/db/migrate.js';
import { deriveLocalRoleUrls, withDatabase } from '../server/db/roleUrls.js';
import { freePort } from './support/freePort.js';
import { projectRoot } from '../server/paths.js';

const settings = loadTestSettings();
const logger = createLogger({
  env: 'local',
  version: 'test',
  logLevel: 'warn',
  service: 'heimdex-test',
});

let serverUrl = settings.databaseUrl;
let stopServer = async (): Promise<void> => {};
if (!serverUrl) {
  const embedded = await startEmbeddedPostgres({
    dataDir: await mkdtemp(path.join(tmpdir(), 'heimdex-test-pg-')),
    port: await freePort(),
    logger,
    ephemeral: true,
  });
  serverUrl = embedded.url;
  stopServer = embedded.stop;
}

const template = `heimdex_tpl_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const { rows } = await admin.query<{ server_version: string }>('show server_version');
process.stdout.write(
  `# PostgreSQL ${rows[0]?.server_version} (${settings.databaseUrl ? 'TEST_DATABASE_URL' : 'embedded'}); template ${template}\n`,
);
await admin.query(`create database ${admin.escapeIdentifier(template)}`);

let exitCode = 1;
try {
  const templateUrl = withDatabase(serverUrl, template);
  await bootstrapLocalRoles(templateUrl, logger);
  await migrate({
    ownerUrl: deriveLocalRoleUrls(templateUrl).migration,
    logger,
    ownerManagesRoles: false,
  });
  const args = process.argv.slice(2);
  const patterns = args.some((a) => !a.startsWith('-')) ? [] : ['dist/test/**/*.test.js'];
  exitCode = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=2', '--test-timeout=120000', ...args, ...patterns],
      {
        cwd: projectRoot,
        stdio: 'inherit',
        env: childEnv({ TEST_DATABASE_URL: serverUrl, HEIMDEX_TEST_TEMPLATE: template }),
      },
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
} finally {
  await admin.query(`drop database if exists ${admin.escapeIdentifier(template)} with (force)`);
  await admin.end();
  await stopServer();
}
process.exit(exitCode);
