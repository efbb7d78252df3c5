/** The worker's settings are validated at start-up, and a worker without a database says so. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../runtime/config.js';
import { childEnv } from '../../runtime/process/childProcess.js';
import { projectRoot } from '../../runtime/paths.js';
import { localEnv } from '../support/localEnv.js';

it('refuses a stale-after that would make live workers look dead', () => {
  assert.throws(
    () => loadConfig({ ...localEnv(), WORKER_HEARTBEAT_MS: '5000', WORKER_STALE_AFTER_MS: '6000' }),
    (err: unknown) => err instanceof ConfigError && /WORKER_STALE_AFTER_MS/.test(err.message),
  );
  assert.throws(
    () => loadConfig({ ...localEnv(), WORKER_POLL_INTERVAL_MS: '0', JOB_STAGE_DURATION_MS: '-1' }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /WORKER_POLL_INTERVAL_MS/.test(err.message) &&
      /JOB_STAGE_DURATION_MS/.test(err.message),
  );
});

it('a worker with no database URL exits 78 and says what to set', async () => {
  const env = childEnv({ HEIMDEX_ENV: 'local' });
  for (const key of ['DATABASE_URL', 'WORKER_DATABASE_URL', 'API_DATABASE_URL']) delete env[key];
  const child = spawn(process.execPath, [path.join(projectRoot, 'dist/worker/main.js')], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 78);
  assert.match(stderr, /WORKER_DATABASE_URL/);
});
