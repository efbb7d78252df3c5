/**
 * The IDE as a developer uses it: `npm start` (the API and the worker as
 * child processes), headless Chromium opens http://127.0.0.1:<port>/graphql,
 * the test types `{ viewer { orgId } }` into the editor, runs it with
 * Ctrl-Enter and reads the demo org from the result pane. Every request the
 * page makes goes to the API itself (no CDN), and nothing breaks its
 * Content-Security-Policy.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../../support/testDatabase.js';
import { freePort } from '../../../dev/freePort.js';
import { spawnScript, type Spawned } from '../../support/processes.js';
import { chromiumMissing, launchChromium, type Browser } from '../../support/headlessChromium.js';
import { LOCAL_DEMO_ORG } from '../../../server/auth/devToken.js';

/** Where the test leaves its screenshot of the example Viewer run (docs/ide.png is one). */
export const IDE_SCREENSHOT = path.join(tmpdir(), 'heimdex-ide.png');

describe('the IDE in a real browser, against npm start', { skip: chromiumMissing() }, () => {
  let db: TestDatabase;
  let start: Spawned;
  let browser: Browser;
  let base: string;

  before(async () => {
    db = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    start = spawnScript('dist/dev/bin/start.js', [], {
      HEIMDEX_ENV: 'local',
      DATABASE_URL: db.urls.admin,
      PORT: String(port),
      LOG_LEVEL: 'warn',
    });
    await start.waitFor(/GraphQL IDE \(with a dev token\): open (\S+)/, 60_000);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    start?.child.kill('SIGTERM');
    if (start) assert.equal(await start.exited, 0, start.output());
    await db?.drop();
  });

  it('runs { viewer { orgId } } with its dev token and shows the demo org', async () => {
    const page = await browser.context.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    page.on('response', (response) => {
      if (response.status() >= 400) {
        const request = response.request();
        problems.push(
          `${response.status()} ${request.method()} ${response.url()} ${JSON.stringify(request.headers())} ${request.postData()}`,
        );
      }
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));

    await page.goto(`${base}/graphql`);
    const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.waitFor({ timeout: 30_000 });
    const result = page.locator('.result-window');
    // The example operations are there: run Viewer, the one under the cursor.
    await page.locator('.graphiql-query-editor .view-line', { hasText: 'query Viewer' }).click();
    await page.keyboard.press('ControlOrMeta+Enter');
    await result.filter({ hasText: '"ADMIN"' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: IDE_SCREENSHOT });

    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('{ viewer { orgId } }');
    // GraphiQL takes a moment to see that the document changed (its tab is named after it).
    await page.locator('.graphiql-tab-active', { hasText: '<untitled>' }).waitFor();
    await page.keyboard.press('ControlOrMeta+Enter');
    if (await result.filter({ hasText: 'has no operation named' }).isVisible()) {
      await page.keyboard.press('ControlOrMeta+Enter');
    }
    try {
      await result.filter({ hasText: LOCAL_DEMO_ORG }).waitFor({ timeout: 30_000 });
    } catch (err) {
      await page.screenshot({ path: IDE_SCREENSHOT });
      throw new Error(
        `no result; the page is in ${IDE_SCREENSHOT}; ${problems.join('\n')}\n${start.output()}`,
        {
          cause: err,
        },
      );
    }
    const text = (await result.innerText()).replace(/\s+/g, ' ');
    assert.match(text, new RegExp(`"orgId": "${LOCAL_DEMO_ORG}"`));
    assert.doesNotMatch(text, /ADMIN/, 'the result of the typed query, not of the first');

    const foreign = requested.filter((url) => !url.startsWith(`${base}/`));
    assert.deepEqual(foreign, [], 'every request goes to the API itself');
    assert.ok(requested.some((url) => url.startsWith(`${base}/ruru-static/`)));
    assert.deepEqual(problems, []);
    await page.close();
  });
});
