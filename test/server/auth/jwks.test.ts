/**
 * Production auth (AUTH_PROVIDER=jwks) against a real key set served over
 * HTTP: RS256 and ES256 only, issuer and audience required, keys cached,
 * unknown keys fetched at most once per cooldown, rotation without restart,
 * and 503 (not 401, not 500) when the key set is unreachable and no cached
 * key matches.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { exportSPKI, importJWK, SignJWT, type CryptoKey } from 'jose';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { JwksServer } from '../../support/jwksServer.js';
import { codes, graphql } from '../../support/graphql.js';
import { unsignedToken } from '../../support/tokens.js';
import { waitFor } from '../../support/waitFor.js';
import { MAX_KEY_SET_BYTES } from '../../../server/auth/remoteKeySet.js';

const ORG = randomUUID();
const COOLDOWN_MS = 400;
const claims = () => ({ sub: `user-${randomUUID()}`, app_metadata: { org_id: ORG } });
let db: TestDatabase;
let idp: JwksServer;
let api: TestApi;

function jwksEnv(url: string): Record<string, string> {
  return {
    AUTH_PROVIDER: 'jwks',
    JWKS_URL: url,
    AUTH_ISSUER: JwksServer.issuer,
    AUTH_AUDIENCE: JwksServer.audience,
    AUTH_JWKS_COOLDOWN_MS: String(COOLDOWN_MS),
    AUTH_JWKS_TIMEOUT_MS: '1000',
  };
}

const cooldown = () => new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));

async function status(
  token: string,
): Promise<{ status: number; code: unknown; retryAfter?: string }> {
  const response = await graphql(api.http(), token, '{ viewer { orgId } }');
  return {
    status: response.status,
    code: codes(response.body)[0],
    retryAfter: response.headers['retry-after'],
  };
}

before(async () => {
  db = await createTestDatabase();
  idp = new JwksServer();
  await idp.up();
  await idp.addKey('rsa-1', 'RS256');
  await idp.addKey('ec-1', 'ES256');
  api = await startTestApi(db, { env: jwksEnv(idp.url) });
});
after(async () => {
  await api.stop();
  await idp.down();
  await db.drop();
});

describe('verification', () => {
  it('accepts RS256 and ES256 tokens from the key set', async () => {
    assert.equal((await status(await idp.sign('rsa-1', claims()))).status, 200);
    assert.equal((await status(await idp.sign('ec-1', claims()))).status, 200);
  });

  it('refuses a wrong issuer or audience', async () => {
    const issuer = await status(
      await idp.sign('rsa-1', claims(), { issuer: 'https://evil.test/' }),
    );
    const audience = await status(await idp.sign('rsa-1', claims(), { audience: 'another-api' }));
    assert.deepEqual([issuer.status, issuer.code], [401, 'UNAUTHENTICATED']);
    assert.deepEqual([audience.status, audience.code], [401, 'UNAUTHENTICATED']);
    const reasons = api.logs
      .entries('auth_failed')
      .slice(-2)
      .map((e) => e['reason']);
    assert.deepEqual(reasons, ['wrong_issuer', 'wrong_audience']);
  });

  it('refuses HS256 signed with the public key (algorithm confusion) and alg none', async () => {
    const key = idp.keys.get('rsa-1')!;
    const publicPem = await exportSPKI(
      (await importJWK(key.publicJwk, 'RS256', { extractable: true })) as CryptoKey,
    );
    const confused = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setIssuer(JwksServer.issuer)
      .setAudience(JwksServer.audience)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(publicPem));
    assert.deepEqual(await status(confused), {
      status: 401,
      code: 'UNAUTHENTICATED',
      retryAfter: undefined,
    });
    const none = unsignedToken({
      ...claims(),
      iss: JwksServer.issuer,
      aud: JwksServer.audience,
      exp: Math.floor(Date.now() / 1000) + 600,
    });
    assert.equal((await status(none)).status, 401);
    const reasons = api.logs
      .entries('auth_failed')
      .slice(-2)
      .map((e) => e['reason']);
    assert.deepEqual(reasons, ['algorithm_not_allowed', 'algorithm_not_allowed']);
  });
});

describe('key set cache', () => {
  it('fetches an unknown key at most once per cooldown', async () => {
    await cooldown();
    const stranger = await idp.addKey('stranger', 'RS256');
    idp.keys.delete('stranger');
    const before = idp.fetches;
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const token = await idp.sign('stranger', claims(), { key: stranger });
      assert.deepEqual(await status(token), {
        status: 401,
        code: 'UNAUTHENTICATED',
        retryAfter: undefined,
      });
    }
    // One fetch per cooldown started: exactly one unless a loaded machine
    // stretched the five requests past a cooldown (then one more per cooldown).
    const cooldownsStarted = 1 + Math.floor((Date.now() - started) / COOLDOWN_MS);
    const fetches = idp.fetches - before;
    assert.ok(fetches >= 1 && fetches <= cooldownsStarted, `${fetches} fetches`);
    assert.equal(api.logs.entries('auth_failed').at(-1)?.['reason'], 'unknown_key');
  });

  it('takes a rotated-in key without a restart', async () => {
    await idp.addKey('rsa-2', 'RS256');
    await cooldown();
    assert.equal((await status(await idp.sign('rsa-2', claims()))).status, 200);
  });

  it('keeps serving cached keys while the key set is down; unknown keys get 503', async () => {
    await cooldown();
    await idp.down();
    try {
      assert.equal((await status(await idp.sign('rsa-1', claims()))).status, 200);
      await idp.addKey('rsa-3', 'RS256');
      const fetchFailed = await status(await idp.sign('rsa-3', claims()));
      assert.deepEqual(fetchFailed, { status: 503, code: 'SERVICE_UNAVAILABLE', retryAfter: '5' });
      // Within the cooldown: no new fetch, still unavailable rather than "bad token".
      assert.equal((await status(await idp.sign('rsa-3', claims()))).status, 503);
      assert.equal(api.logs.entries('auth_failed').at(-1)?.['reason'], 'key_set_unavailable');
    } finally {
      await idp.up();
    }
    await cooldown();
    assert.equal((await status(await idp.sign('rsa-3', claims()))).status, 200);
  });
});

describe('key rotation that revokes', () => {
  it('refuses a cached token once the provider drops its key, at the next key set fetch', async () => {
    const provider = new JwksServer();
    await provider.up();
    await provider.addKey('kept', 'ES256');
    await provider.addKey('dropped', 'ES256');
    const rotating = await startTestApi(db, {
      env: { ...jwksEnv(provider.url), AUTH_JWKS_REFRESH_MS: '300' },
    });
    try {
      const ask = async (token: string) =>
        (await graphql(rotating.http(), token, '{ viewer { orgId } }')).status;
      const token = await provider.sign('dropped', claims());
      // A 10-year token: only the key set can end it.
      const longLived = await provider.sign('dropped', {
        ...claims(),
        exp: Math.floor(Date.now() / 1000) + 10 * 365 * 86_400,
      });
      assert.equal(await ask(token), 200);
      assert.equal(await ask(token), 200, 'now served from the cache');
      assert.equal(await ask(longLived), 200);
      provider.keys.delete('dropped');
      const fetched = provider.fetches;
      await waitFor('a background key set fetch', async () => provider.fetches > fetched);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await ask(token), 401);
      assert.equal(await ask(longLived), 401);
      assert.equal(rotating.logs.entries('auth_failed').at(-1)?.['reason'], 'unknown_key');
      assert.equal(
        await ask(await provider.sign('kept', claims())),
        200,
        'the kept key still works',
      );
    } finally {
      await rotating.stop();
      await provider.down();
    }
  });
});

describe('key set size', () => {
  it('refuses a key set over 64 KB and keeps the last good keys', async () => {
    const provider = new JwksServer();
    await provider.up();
    await provider.addKey('good', 'RS256');
    const capped = await startTestApi(db, { env: jwksEnv(provider.url) });
    try {
      const ask = async (token: string) =>
        (await graphql(capped.http(), token, '{ viewer { orgId } }')).status;
      assert.equal(await ask(await provider.sign('good', claims())), 200);
      // The next document is valid and holds a new key, but is too large to accept.
      await provider.addKey('new', 'RS256');
      provider.paddingBytes = MAX_KEY_SET_BYTES;
      await cooldown();
      const fetched = provider.fetches;
      assert.equal(await ask(await provider.sign('new', claims())), 503);
      assert.equal(provider.fetches, fetched + 1);
      assert.ok(
        capped.logs
          .entries('jwks_fetch_failed')
          .some((e) => /over the 65536-byte limit/.test(JSON.stringify(e))),
        'the refusal is logged with its reason',
      );
      assert.equal(await ask(await provider.sign('good', claims())), 200, 'last good keys kept');
      // Back under the cap, the new key is taken.
      provider.paddingBytes = 0;
      await cooldown();
      assert.equal(await ask(await provider.sign('new', claims())), 200);
    } finally {
      await capped.stop();
      await provider.down();
    }
  });
});

it('answers 503 when the key set is unreachable from the start', async () => {
  const offline = new JwksServer();
  await offline.up();
  await offline.addKey('k', 'ES256');
  const url = offline.url;
  await offline.down();
  const cold = await startTestApi(db, { env: jwksEnv(url) });
  try {
    let acquired = 0;
    cold.api.pool.on('acquire', () => acquired++);
    const response = await graphql(
      cold.http(),
      await offline.sign('k', claims()),
      '{ jobs { totalCount } }',
    );
    assert.equal(response.status, 503);
    assert.deepEqual(codes(response.body), ['SERVICE_UNAVAILABLE']);
    assert.equal(acquired, 0);
  } finally {
    await cold.stop();
  }
});
