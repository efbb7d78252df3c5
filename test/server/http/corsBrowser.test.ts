/**
 * CORS as a browser enforces it: headless Chromium loads a page from a
 * second local origin (a dev server on localhost, allowed by local mode's
 * default) whose fetch with a dev token gets data and reads the exposed
 * request id; the same page from an origin not on the list
 * (http://127.0.0.2) is stopped by the browser itself after the preflight,
 * so the API never sees the POST.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { startTestApi, type TestApi } from '../../support/testApi.js';
import { tokenFor } from '../../support/tokens.js';
import { chromiumMissing, launchChromium, type Browser } from '../../support/headlessChromium.js';

const ORG = 'c0000000-0000-4000-8000-000000000115';
const skip = chromiumMissing();

/** A page that calls the API from its own origin and puts the outcome in window.outcome. */
function pageHtml(apiUrl: string, token: string): string {
  const script = `
    fetch(${JSON.stringify(`${apiUrl}/graphql`)}, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ${token}' },
      body: JSON.stringify({ query: '{ viewer { orgId } }' }),
    })
      .then(async (response) => {
        window.outcome = {
          status: response.status,
          body: await response.json(),
          requestId: response.headers.get('x-request-id'),
        };
      })
      .catch((err) => { window.outcome = { error: String(err) }; });`;
  return `<!doctype html><html><body><script>${script}</script></body></html>`;
}

/** Serves one page on host:0. */
async function servePage(host: string, html: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://${host}:${port}` };
}

describe('CORS in a real browser', { skip }, () => {
  let db: TestDatabase;
  let api: TestApi;
  let browser: Browser;
  let token: string;
  const pages: Server[] = [];

  before(async () => {
    db = await createTestDatabase();
    api = await startTestApi(db);
    if (api.config.auth.provider !== 'dev') throw new Error('dev auth expected');
    token = await tokenFor(api.config.auth.secret, ORG, 'member');
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    for (const server of pages) server.close();
    await api?.stop();
    await db?.drop();
  });

  async function outcomeFrom(host: string, pageUrlHost = host) {
    const { server, origin } = await servePage(host, pageHtml(api.url, token));
    pages.push(server);
    const page = await browser.context.newPage();
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(message.text()));
    await page.goto(origin.replace(host, pageUrlHost));
    await page.waitForFunction(() => 'outcome' in window, undefined, { timeout: 20_000 });
    const outcome = (await page.evaluate(
      () => (window as unknown as { outcome: unknown }).outcome,
    )) as {
      status?: number;
      body?: unknown;
      requestId?: string | null;
      error?: string;
    };
    await page.close();
    return { outcome, consoleLines, origin: origin.replace(host, pageUrlHost) };
  }

  it('a page from another local origin (http://localhost:<port>) gets data with the dev token', async () => {
    const { outcome } = await outcomeFrom('127.0.0.1', 'localhost');
    assert.equal(outcome.status, 200, JSON.stringify(outcome));
    assert.deepEqual(outcome.body, { data: { viewer: { orgId: ORG } } });
    assert.match(outcome.requestId ?? '', /^[0-9a-f-]{36}$/, 'x-request-id is readable');
  });

  it('a page from an origin not on the list is blocked by the browser before the POST', async () => {
    const requests = () => api.logs.entries('request');
    const posts = () => requests().filter((entry) => entry['method'] === 'POST').length;
    const before = posts();
    const { outcome, consoleLines, origin } = await outcomeFrom('127.0.0.2');
    assert.match(outcome.error ?? '', /Failed to fetch/, JSON.stringify(outcome));
    assert.ok(
      consoleLines.some((line) =>
        line.includes(`from origin '${origin}' has been blocked by CORS policy`),
      ),
      consoleLines.join('\n'),
    );
    const preflights = requests().filter(
      (entry) => entry['method'] === 'OPTIONS' && entry['path'] === '/graphql',
    );
    assert.ok(preflights.length > 0, 'the browser asked first');
    assert.equal(posts(), before, 'and never sent the request');
  });
});
