/**
 * Every way a token can be wrong, against the running API in dev mode
 * (HS256): each is refused with 401 (or 403 for a valid token without a
 * usable org or role), before any database connection is taken, and logged
 * as auth_failed without the token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { signToken, tokenFor, unsignedToken } from '../../support/tokens.js';
import { codes, graphql } from '../../support/graphql.js';

const ORG = randomUUID();
const TOUCHES_DB = '{ jobs { totalCount } }';
const MAX_AGE_S = 3600;
let db: TestDatabase;
let api: TestApi;
let secret: string;
let acquired = 0;
const usedTokens: string[] = [];

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, {
    env: { AUTH_CLOCK_TOLERANCE_S: '0', AUTH_MAX_TOKEN_AGE: String(MAX_AGE_S) },
  });
  if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
  secret = api.config.auth.secret;
  api.api.pool.on('acquire', () => acquired++);
});
after(async () => {
  await api.stop();
  await db.drop();
});

const now = () => Math.floor(Date.now() / 1000);

async function refusedWith(
  authorization: string | undefined,
  status: number,
  code: string,
  reason: string,
): Promise<void> {
  const before = acquired;
  const request = api.http().post('/graphql').set('content-type', 'application/json');
  if (authorization !== undefined) request.set('authorization', authorization);
  const response = await request.send({ query: TOUCHES_DB });
  assert.equal(response.status, status);
  assert.deepEqual(
    (response.body as { errors: Array<{ extensions: { code: string } }> }).errors.map(
      (e) => e.extensions.code,
    ),
    [code],
  );
  if (status === 401) {
    assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
  }
  assert.equal(acquired, before, 'no database connection was taken');
  const logged = api.logs.entries('auth_failed').at(-1);
  assert.equal(logged?.['reason'], reason);
  assert.equal(logged?.['ip'], '127.0.0.1');
}

async function bearer(token: string): Promise<string> {
  usedTokens.push(token);
  return `Bearer ${token}`;
}

describe('refused with 401 UNAUTHENTICATED', () => {
  const payload = () => ({ sub: 'alice', app_metadata: { org_id: ORG } });

  it('no Authorization header', () =>
    refusedWith(undefined, 401, 'UNAUTHENTICATED', 'missing_token'));
  it('not a bearer token', () =>
    refusedWith('Basic YWxpY2U6c2VjcmV0', 401, 'UNAUTHENTICATED', 'malformed'));
  it('not a JWT', () => refusedWith('Bearer abc.def', 401, 'UNAUTHENTICATED', 'malformed'));
  it('garbage in a JWT shape', () =>
    refusedWith('Bearer aaa.bbb.ccc', 401, 'UNAUTHENTICATED', 'malformed'));
  it('expired', async () =>
    refusedWith(
      await bearer(await signToken(payload(), { secret, exp: now() - 60 })),
      401,
      'UNAUTHENTICATED',
      'expired',
    ));
  it('not yet valid (nbf in the future)', async () =>
    refusedWith(
      await bearer(await signToken(payload(), { secret, nbf: now() + 600 })),
      401,
      'UNAUTHENTICATED',
      'not_yet_valid',
    ));
  it('without exp', async () =>
    refusedWith(
      await bearer(await signToken(payload(), { secret, exp: 0 })),
      401,
      'UNAUTHENTICATED',
      'missing_claim',
    ));
  it('without sub', async () =>
    refusedWith(
      await bearer(await signToken({ app_metadata: { org_id: ORG } }, { secret })),
      401,
      'UNAUTHENTICATED',
      'missing_claim',
    ));
  it('with a sub holding control characters', async () =>
    refusedWith(
      await bearer(await signToken({ ...payload(), sub: "x'\n;" }, { secret })),
      401,
      'UNAUTHENTICATED',
      'invalid_subject',
    ));
  it('signed with another secret', async () =>
    refusedWith(
      await bearer(await signToken(payload(), { secret: `${secret}-not` })),
      401,
      'UNAUTHENTICATED',
      'bad_signature',
    ));
  it('with its payload changed after signing', async () => {
    const [header, , signature] = (await signToken(payload(), { secret })).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        sub: 'mallory',
        app_metadata: { org_id: ORG, org_role: 'admin' },
        exp: now() + 600,
      }),
    ).toString('base64url');
    await refusedWith(
      await bearer(`${header}.${forged}.${signature}`),
      401,
      'UNAUTHENTICATED',
      'bad_signature',
    );
  });
  it('alg: none', async () =>
    refusedWith(
      await bearer(unsignedToken({ ...payload(), exp: now() + 600 })),
      401,
      'UNAUTHENTICATED',
      'algorithm_not_allowed',
    ));
  it('minted for another issuer, with the same secret', async () =>
    refusedWith(
      await bearer(await signToken(payload(), { secret, issuer: 'https://elsewhere.test/' })),
      401,
      'UNAUTHENTICATED',
      'wrong_issuer',
    ));
  it('minted for another audience, with the same secret', async () =>
    refusedWith(
      await bearer(await signToken(payload(), { secret, audience: 'another-service' })),
      401,
      'UNAUTHENTICATED',
      'wrong_audience',
    ));
  it('without an issuer or audience', async () => {
    await refusedWith(
      await bearer(await signToken(payload(), { secret, issuer: null })),
      401,
      'UNAUTHENTICATED',
      'missing_claim',
    );
    await refusedWith(
      await bearer(await signToken(payload(), { secret, audience: null })),
      401,
      'UNAUTHENTICATED',
      'missing_claim',
    );
  });
  it('issued longer ago than AUTH_MAX_TOKEN_AGE, however far away its exp', async () =>
    refusedWith(
      await bearer(
        await signToken(payload(), { secret, iat: now() - MAX_AGE_S - 60, exp: now() + 86_400 }),
      ),
      401,
      'UNAUTHENTICATED',
      'expired',
    ));
  it('without iat (its age cannot be told)', async () =>
    refusedWith(
      await bearer(await signToken(payload(), { secret, iat: null })),
      401,
      'UNAUTHENTICATED',
      'missing_claim',
    ));
  it('RS256 (an algorithm the dev secret does not accept)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT(payload())
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('1h')
      .sign(privateKey);
    await refusedWith(await bearer(token), 401, 'UNAUTHENTICATED', 'algorithm_not_allowed');
  });
});

describe('refused with 403 FORBIDDEN (valid token, unusable org or role)', () => {
  const refused = async (claims: Record<string, unknown>, reason: string) =>
    refusedWith(
      await bearer(await signToken({ sub: 'alice', ...claims }, { secret })),
      403,
      'FORBIDDEN',
      reason,
    );

  it('no org', () => refused({}, 'missing_org'));
  it('an org only in user_metadata, which users can edit', () =>
    refused({ user_metadata: { org_id: ORG } }, 'missing_org'));
  it('an org that is not a UUID', () =>
    refused({ app_metadata: { org_id: 'acme' } }, 'invalid_org'));
  it('an org of the wrong type', () => refused({ org_id: 42 }, 'invalid_org'));
  it('an unknown org role', () =>
    refused({ app_metadata: { org_id: ORG, org_role: 'owner' } }, 'unknown_role'));
  it('an unknown namespaced role', () =>
    refused(
      { 'https://heimdex.io/org_id': ORG, 'https://heimdex.io/role': 'superuser' },
      'unknown_role',
    ));
});

describe('accepted', () => {
  async function viewer(claims: Record<string, unknown>) {
    const token = await signToken({ sub: 'alice', ...claims }, { secret });
    usedTokens.push(token);
    const { status, body } = await graphql(api.http(), token, '{ viewer { userId orgId role } }');
    assert.equal(status, 200, JSON.stringify(body));
    return body.data?.['viewer'];
  }

  it('takes the org from app_metadata before the namespaced and plain claims', async () => {
    const other = randomUUID();
    assert.deepEqual(
      await viewer({
        app_metadata: { org_id: ORG },
        'https://heimdex.io/org_id': other,
        org_id: other,
      }),
      { userId: 'alice', orgId: ORG, role: 'MEMBER' },
    );
    assert.equal(
      ((await viewer({ 'https://heimdex.io/org_id': ORG, org_id: other })) as { orgId: string })
        .orgId,
      ORG,
    );
    assert.equal(((await viewer({ org_id: ORG.toUpperCase() })) as { orgId: string }).orgId, ORG);
  });

  it('reads the role from the namespace that named the org, and from no other', async () => {
    const role = async (claims: Record<string, unknown>) =>
      ((await viewer(claims)) as { role: string }).role;
    assert.equal(await role({ app_metadata: { org_id: ORG, org_role: 'admin' } }), 'ADMIN');
    assert.equal(
      await role({ 'https://heimdex.io/org_id': ORG, 'https://heimdex.io/role': 'viewer' }),
      'VIEWER',
    );
    assert.equal(await role({ org_id: ORG, role: 'viewer' }), 'VIEWER');
    // An org from app_metadata never takes its role from another namespace.
    assert.equal(
      await role({
        app_metadata: { org_id: ORG },
        'https://heimdex.io/role': 'admin',
        role: 'admin',
      }),
      'MEMBER',
    );
    assert.equal(
      await role({ 'https://heimdex.io/org_id': ORG, app_metadata: { org_role: 'admin' } }),
      'MEMBER',
    );
    assert.equal(
      await role({ org_id: ORG, 'https://heimdex.io/role': 'admin', app_metadata: {} }),
      'MEMBER',
    );
    assert.equal(await role({ org_id: ORG }), 'MEMBER');
    // A provider's own top-level role (Supabase: `authenticated`) is not one of ours: member.
    assert.equal(await role({ org_id: ORG, role: 'authenticated' }), 'MEMBER');
  });

  it('keeps a cached token no longer than AUTH_MAX_TOKEN_AGE allows', async () => {
    const token = await signToken(
      { sub: 'alice', org_id: ORG },
      { secret, iat: now() - MAX_AGE_S + 2, exp: now() + 86_400 },
    );
    usedTokens.push(token);
    assert.equal((await graphql(api.http(), token, '{ viewer { userId } }')).status, 200);
    assert.equal((await graphql(api.http(), token, '{ viewer { userId } }')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 3_200));
    const late = await graphql(api.http(), token, '{ viewer { userId } }');
    assert.equal(late.status, 401);
  });

  it('runs with the token until it expires, and not after, even once cached', async () => {
    const exp = now() + 2;
    const token = await signToken({ sub: 'alice', org_id: ORG }, { secret, exp });
    usedTokens.push(token);
    assert.equal((await graphql(api.http(), token, '{ viewer { userId } }')).status, 200);
    assert.equal((await graphql(api.http(), token, '{ viewer { userId } }')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 200));
    const late = await graphql(api.http(), token, '{ viewer { userId } }');
    assert.equal(late.status, 401);
    assert.deepEqual(codes(late.body), ['UNAUTHENTICATED']);
  });

  it('a member token reaches the database as that member', async () => {
    const token = await tokenFor(secret, ORG, 'member');
    const { body } = await graphql(api.http(), token, TOUCHES_DB);
    assert.deepEqual(body, { data: { jobs: { totalCount: 0 } } });
  });
});

it('never writes a token to the log', () => {
  assert.ok(usedTokens.length > 10);
  for (const token of usedTokens) {
    assert.ok(!api.logs.text.includes(token), 'token found in logs');
    const signature = token.split('.')[2]!;
    if (signature) assert.ok(!api.logs.text.includes(signature), 'signature found in logs');
  }
});
