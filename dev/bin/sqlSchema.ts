/**
 * `npm run sql-schema`: writes sql/schema.sql, the schema after every
 * migration as pg_dump prints it (dev/dumpSqlSchema.ts). It migrates a
 * scratch database on the server of DATABASE_URL (local mode), else on an
 * embedded PostgreSQL; pg_dump on PATH must be as new as that server.
 */
import { writeFile } from 'node:fs/promises';
import { ConfigError, loadLocalConfig } from '../../runtime/config.js';
import { createLogger } from '../../runtime/logger.js';
import { withDatabase } from '../../runtime/db/roleUrls.js';
import { sqlDir } from '../../runtime/paths.js';
import { runMain } from '../../runtime/process/runMain.js';
import {
  createDatabase,
  dropDatabase,
  migrateLocally,
  scratchName,
  scratchServer,
} from '../scratchDatabase.js';
import { dumpSqlSchema, pgDumpMajor } from '../dumpSqlSchema.js';

await runMain('sql-schema', async () => {
  const config = loadLocalConfig();
  const logger = createLogger({ ...config, service: 'heimdex-sql-schema' });
  const server = await scratchServer(config.database.adminUrl, logger);
  const name = scratchName('schema');
  try {
    const major = await pgDumpMajor();
    const serverMajor = Number(/^\d+/.exec(server.description)?.[0]);
    if (major === undefined || major < serverMajor) {
      throw new ConfigError(
        `pg_dump ${major ?? '(not found)'} cannot dump PostgreSQL ${server.description}; ` +
          'set DATABASE_URL to a server pg_dump supports (e.g. the machine PostgreSQL 15)',
      );
    }
    await createDatabase(server.url, name);
    const url = withDatabase(server.url, name);
    await migrateLocally(url, logger);
    const file = sqlDir('schema.sql');
    await writeFile(file, await dumpSqlSchema(url));
    logger.info({ file, server: server.description }, 'sql schema written');
  } finally {
    await dropDatabase(server.url, name).catch(() => undefined);
    await server.stop();
  }
});
