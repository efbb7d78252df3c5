/**
 * The GraphQL IDE (Ruru) on GET /graphql for browsers in local mode: every
 * asset from this server (the page names no other host), an Authorization
 * header holding a dev token that works (org, role and expiry said in the
 * editor), the example operations, no CORS on the page, no token for a
 * Host that is not loopback; off when IDE=off.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { graphql } from '../../support/graphql.js';
import { LOCAL_DEMO_ORG } from '../../../server/auth/devToken.js';

let db: TestDatabase;
let api: TestApi;

before(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
});
after(async () => {
  await api.stop();
  await db.drop();
});

const openPage = (target: TestApi, headers: Record<string, string> = {}) =>
  target
    .http()
    .get('/graphql')
    .set('accept', 'text/html,application/xhtml+xml,*/*;q=0.8')
    .set(headers);

interface RuruConfig {
  staticPath: string;
  endpoint: string;
  initialHeaders: string;
  initialQuery: string;
}

function ruruConfig(html: string): RuruConfig {
  const json = /const RURU_CONFIG = (\{[\s\S]*?\n\});/.exec(html)?.[1];
  assert.ok(json, 'the page carries RURU_CONFIG');
  return JSON.parse(json) as RuruConfig;
}

describe('in local mode', () => {
  it('serves Ruru, and every asset the page names comes from this server', async () => {
    const response = await openPage(api);
    assert.equal(response.status, 200);
    assert.match(response.headers['content-type'] ?? '', /^text\/html/);
    assert.equal(response.headers['cache-control'], 'no-store');
    const html = response.text;
    assert.match(html, /ruru-root/);
    // No absolute URL at all, so no CDN: only paths on this server.
    assert.deepEqual(html.match(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/gi) ?? [], []);
    const references = [...html.matchAll(/(?:src|href)="([^"]+)"|from "([^"]+)"/g)].map(
      (match) => match[1] ?? match[2]!,
    );
    assert.ok(references.length >= 2, references.join(' '));
    for (const reference of references.filter((r) => r !== 'data:,')) {
      assert.match(reference, /^\/ruru-static\//, reference);
      const asset = await api.http().get(reference).set('accept-encoding', 'br');
      assert.equal(asset.status, 200, reference);
    }
    const policy = response.headers['content-security-policy'] ?? '';
    assert.match(policy, /default-src 'self'/);
    assert.match(policy, /connect-src 'self'/);
  });

  it('prefills a dev token that works: demo org, admin, 12 h, said in the editor', async () => {
    const config = ruruConfig((await openPage(api)).text);
    assert.equal(config.endpoint, '/graphql');
    const headers = JSON.parse(config.initialHeaders) as { Authorization: string };
    const token = headers.Authorization.replace(/^Bearer /, '');
    const claims = decodeJwt(token);
    const hours = (claims.exp! - claims.iat!) / 3600;
    assert.equal(hours, 12);
    const expires = new Date(claims.exp! * 1000).toISOString().slice(0, 19);
    assert.match(
      config.initialQuery,
      new RegExp(`org ${LOCAL_DEMO_ORG}\n#   role admin, expires ${expires}Z`),
    );
    const response = await graphql(api.http(), token, '{ viewer { orgId role } }');
    assert.deepEqual(response.body, { data: { viewer: { orgId: LOCAL_DEMO_ORG, role: 'ADMIN' } } });
  });

  it('has the example operations in the editor', async () => {
    const { initialQuery } = ruruConfig((await openPage(api)).text);
    for (const name of [
      'query Viewer',
      'query Jobs',
      'query Job',
      'mutation CreateJob',
      'mutation CancelJob',
      'mutation RetryJob',
    ]) {
      assert.ok(initialQuery.includes(name), name);
    }
  });

  it('gives the page no CORS header, even to an allowed origin', async () => {
    const response = await openPage(api, { origin: 'http://localhost:5173' });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  it('puts no token in a page asked for under a name that is not loopback (DNS rebinding)', async () => {
    const response = await openPage(api, { host: 'rebound.example.com' });
    assert.equal(response.status, 200);
    const config = ruruConfig(response.text);
    assert.doesNotMatch(config.initialHeaders, /eyJ/);
    assert.match(config.initialHeaders, /<your token>/);
  });

  it('serves assets with their etag, and 404 for a file that is not one', async () => {
    const asset = await api.http().get('/ruru-static/ruru.js').set('accept-encoding', 'br');
    assert.equal(asset.status, 200);
    const again = await api
      .http()
      .get('/ruru-static/ruru.js')
      .set('if-none-match', asset.headers['etag'] ?? '');
    assert.equal(again.status, 304);
    assert.equal((await api.http().get('/ruru-static/../package.json')).status, 404);
    assert.equal((await api.http().get('/ruru-static/nope.js')).status, 404);
  });

  it('answers GraphQL clients on GET as before (the page is for text/html only)', async () => {
    const response = await api
      .http()
      .get('/graphql?query=%7B__typename%7D')
      .set('apollo-require-preflight', 'true');
    assert.equal(response.status, 401);
  });
});

describe('with IDE=off', () => {
  it('there is no page and no asset', async () => {
    const off = await startTestApi(db, { env: { IDE: 'off' } });
    try {
      const page = await openPage(off);
      assert.equal(page.status, 401);
      assert.doesNotMatch(page.text, /ruru/i);
      assert.equal((await off.http().get('/ruru-static/ruru.js')).status, 404);
    } finally {
      await off.stop();
    }
  });
});
