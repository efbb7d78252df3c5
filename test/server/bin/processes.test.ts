/**
 * The entry points as processes: `npm start` (local mode) runs the API as a
 * child, prints a working dev token, and stops cleanly on SIGTERM; the API
 * process alone drains and exits 0 on SIGTERM; `npm run token` works only in
 * local mode.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { jwtVerify } from 'jose';
import { loadLocalConfig } from '../../../runtime/config.js';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { freePort } from '../../../dev/freePort.js';
import { spawnScript } from '../../support/processes.js';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
});
after(() => db.drop());

async function viewerVia(port: number, token: string): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ viewer { role } jobs { totalCount } }' }),
  });
  return response.json();
}

describe('npm start (local mode)', () => {
  it('runs the API, prints a dev token that works, and stops on SIGTERM', async () => {
    const port = await freePort();
    const start = spawnScript('dist/dev/bin/start.js', [], {
      HEIMDEX_ENV: 'local',
      DATABASE_URL: db.urls.admin,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    try {
      const [, token] = await start.waitFor(/export TOKEN=(\S+)/, 60_000);
      assert.match(start.output(), new RegExp(`http://127\\.0\\.0\\.1:${port}/graphql`));
      assert.deepEqual(await viewerVia(port, token!), {
        data: { viewer: { role: 'ADMIN' }, jobs: { totalCount: 0 } },
      });
    } finally {
      start.child.kill('SIGTERM');
    }
    assert.equal(await start.exited, 0, start.output());
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the API child is gone');
  });
});

describe('the API process', () => {
  it('serves, then drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const api = spawnScript('dist/server/bin/api.js', [], {
      HEIMDEX_ENV: 'local',
      DATABASE_URL: db.urls.admin,
      PORT: String(port),
      LOG_LEVEL: 'info',
    });
    try {
      await api.waitFor(/"msg":"listening"/, 30_000);
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200);
    } finally {
      api.child.kill('SIGTERM');
    }
    assert.equal(await api.exited, 0, api.output());
    assert.match(api.output(), /"msg":"stopped"/);
  });
});

describe('the API process refuses dev authentication it was not explicitly given', () => {
  const refused = async (env: Record<string, string | undefined>, reason: RegExp) => {
    const api = spawnScript('dist/server/bin/api.js', [], {
      DATABASE_URL: db.urls.admin,
      PORT: String(await freePort()),
      ...env,
    });
    const listening = api.waitFor(/"msg":"listening"/, 30_000).then(() => 'listening' as const);
    listening.catch(() => undefined);
    const outcome = await Promise.race([api.exited, listening]);
    if (outcome === 'listening') api.child.kill('SIGTERM');
    assert.equal(outcome, 78, api.output());
    assert.match(api.output(), reason);
  };

  it('with HEIMDEX_ENV unset it runs as prod, where dev authentication does not exist', () =>
    refused({ HEIMDEX_ENV: undefined, DEV_JWT_SECRET: undefined }, /JWKS_URL: missing/));
  it('in local mode listening on 0.0.0.0', () =>
    refused({ HEIMDEX_ENV: 'local', HOST: '0.0.0.0' }, /HOST: dev authentication/));
  it('in local mode without DEV_JWT_SECRET: the built-in secret is only for npm start', () =>
    refused({ HEIMDEX_ENV: 'local', DEV_JWT_SECRET: undefined }, /DEV_JWT_SECRET: missing/));
});

describe('npm run token', () => {
  it('prints a dev token with the given org, subject and role', async () => {
    const org = randomUUID();
    const token = spawnScript(
      'dist/server/bin/token.js',
      ['--org', org, '--sub', 'sam', '--role', 'viewer'],
      // As from a shell: no HEIMDEX_ENV, no secret; the command brings npm start's own.
      { HEIMDEX_ENV: undefined, DEV_JWT_SECRET: undefined },
    );
    assert.equal(await token.exited, 0, token.output());
    const config = loadLocalConfig({});
    if (config.auth.provider !== 'dev') throw new Error('dev auth expected');
    const { payload } = await jwtVerify(
      token.output().trim(),
      new TextEncoder().encode(config.auth.secret),
      { issuer: 'heimdex-local', audience: 'heimdex-local' },
    );
    assert.equal(payload.sub, 'sam');
    assert.deepEqual(payload['app_metadata'], { org_id: org, org_role: 'viewer' });
    assert.ok(payload.exp);
  });

  it('refuses bad arguments', async () => {
    const token = spawnScript('dist/server/bin/token.js', ['--org', 'acme', '--sub', 'sam'], {
      HEIMDEX_ENV: 'local',
    });
    assert.equal(await token.exited, 78);
    assert.match(token.output(), /usage: npm run token/);
  });

  it('is refused outside local mode', async () => {
    const token = spawnScript('dist/server/bin/token.js', ['--org', randomUUID(), '--sub', 'sam'], {
      HEIMDEX_ENV: 'dev',
      DEV_JWT_SECRET: undefined,
      AUTH_PROVIDER: 'jwks',
      JWKS_URL: 'https://id.heimdex.test/.well-known/jwks.json',
      AUTH_ISSUER: 'https://id.heimdex.test/',
      AUTH_AUDIENCE: 'heimdex-api',
      API_DATABASE_URL: 'postgres://a@127.0.0.1/x',
      WORKER_DATABASE_URL: 'postgres://w@127.0.0.1/x',
      MIGRATION_DATABASE_URL: 'postgres://m@127.0.0.1/x',
    });
    assert.equal(await token.exited, 78);
    assert.match(token.output(), /only in local mode/);
    assert.doesNotMatch(token.output(), /eyJ/);
  });
});
