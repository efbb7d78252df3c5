/**
 * The fresh-machine path: with no DATABASE_URL (nor HEIMDEX_ENV), `npm run migrate` starts a real
 * embedded PostgreSQL in the configured folder, migrates it, and stops it;
 * the data survives for the next start.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from '../../runtime/process/childProcess.js';
import { projectRoot } from '../../runtime/paths.js';
import { freePort } from '../../dev/freePort.js';

const run = promisify(execFile);

it('migrates an embedded PostgreSQL and keeps its data across restarts', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'heimdex-embedded-'));
  // mkdtemp makes it 0700; as root the server runs as `postgres`, which must get in
  await chmod(dir, 0o755);
  try {
    const env = childEnv({
      EMBEDDED_PG_DIR: path.join(dir, 'pg'),
      EMBEDDED_PG_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    });
    // as on a fresh checkout: no DATABASE_URL, no HEIMDEX_ENV, no secret
    for (const name of ['DATABASE_URL', 'HEIMDEX_ENV', 'DEV_JWT_SECRET', 'AUTH_PROVIDER']) {
      delete env[name];
    }
    const migrateJs = path.join(projectRoot, 'dist/dev/bin/migrate.js');
    const first = await run(process.execPath, [migrateJs], { env, timeout: 60_000 });
    assert.match(first.stdout, /embedded PostgreSQL running/);
    assert.match(first.stdout, /"applied":[1-9]\d*,"msg":"database migrated"/);
    const second = await run(process.execPath, [migrateJs], { env, timeout: 60_000 });
    assert.match(second.stdout, /"applied":0,"msg":"database migrated"/);
    assert.doesNotMatch(second.stdout, /initialising embedded PostgreSQL/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
