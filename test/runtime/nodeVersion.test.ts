import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../runtime/config.js';
import { assertSupportedNode } from '../../runtime/nodeVersion.js';
import { projectRoot } from '../../runtime/paths.js';

it('accepts 22.18 and later, refuses older versions with what to do', () => {
  for (const ok of ['22.18.0', '22.20.1', '24.21.0', '26.0.0']) assertSupportedNode(ok);
  for (const old of ['20.20.2', '22.17.1', '18.19.0']) {
    assert.throws(
      () => assertSupportedNode(old),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.message.includes(`Node.js ${old} is too old`) &&
        err.message.includes('npm start'),
    );
  }
});

// The machine's own node may be older than ours (it is 20 on the CI machine):
// then an entry point run with it must refuse to start, not fail later.
const systemNode = '/usr/bin/node';
it(
  'an entry point run on an older system node exits 78 with the reason',
  { skip: !existsSync(systemNode) },
  async () => {
    const { stdout } = await promisify(execFile)(systemNode, ['--version']);
    const [major = 0, minor = 0] = stdout.trim().replace('v', '').split('.').map(Number);
    if (major > 22 || (major === 22 && minor >= 18)) return;
    const result = await promisify(execFile)(
      systemNode,
      [path.join(projectRoot, 'dist/server/bin/migrate.js')],
      {
        env: {
          PATH: '/usr/bin:/bin',
          HEIMDEX_ENV: 'prod',
          MIGRATION_DATABASE_URL: 'postgres://x@127.0.0.1:1/x',
        },
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(result.code, 78);
    assert.match(result.stderr, /is too old: Heimdex needs 22\.18 or later/);
  },
);
