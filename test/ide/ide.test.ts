/**
 * The IDE in a real browser: Debian's Chromium, driven by playwright-core, opens the IDE served by our own router,
 * pastes a token, opens a saved analytics query, runs it and reads the rendered result. Every request the page makes
 * must go to our origin — anything else is blocked and fails the test — which proves the IDE works offline.
 * Leaves a screenshot in test-artifacts/ide.png.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIdeBuilt } from '../../gateway/ide/build.js';
import { savedQueries } from '../../gateway/ide/saved-queries.js';
import { signTestToken, startIdeTestServer, type IdeTestServer } from './support.js';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = path.resolve('test-artifacts/ide.png');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the tests cannot run, if so: they then FAIL (never skip), saying how to fix it. */
const missingChromium = existsSync(CHROMIUM_PATH)
  ? undefined
  : `Chromium not found at ${CHROMIUM_PATH}. The IDE browser test needs Debian's chromium: ` +
    '`apt-get update && apt-get install -y chromium` (CI installs it), or set CHROMIUM_PATH to a Chromium binary.';

/** Monaco renders spaces as U+00A0; the text as a person reads it. */
const editorText = (page: Page, selector: string) =>
  page
    .locator(`${selector} .view-lines`)
    .first()
    .evaluate((el) => (el as unknown as { innerText: string }).innerText.replace(/\u00a0/g, ' '));

describe('GraphQL IDE in Chromium', () => {
  let server: IdeTestServer;
  let context: BrowserContext;
  let userDataDir: string;
  const foreignRequests: string[] = [];
  const requestedUrls: string[] = [];
  const pageErrors: string[] = [];
  const failedResponses: string[] = [];

  beforeAll(async () => {
    if (missingChromium) return; // each test fails with the message below, none is skipped
    await ensureIdeBuilt();
    server = await startIdeTestServer();
    userDataDir = await mkdtemp(path.join(tmpdir(), 'chargegraph-ide-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 900 },
      serviceWorkers: 'block',
    });
    // Only our origin may answer; anything else is recorded and aborted.
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith(`${server.origin}/`)) return route.continue();
      foreignRequests.push(url);
      return route.abort('blockedbyclient');
    });
    context.on('request', (request) => void requestedUrls.push(request.url()));
    context.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/graphql'))
        failedResponses.push(`${response.status()} ${response.url()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  it('runs a saved analytics query with a pasted token, loading nothing from outside our origin', async () => {
    if (missingChromium) throw new Error(missingChromium);
    const token = await signTestToken('ANALYST');
    const page = await context.newPage();
    page.on('pageerror', (error) => void pageErrors.push(error.message));
    page.on('console', (message) => {
      // The anonymous introspection before the token is pasted is refused (403): the browser logs that, as it should.
      const refusedGraphql =
        message.text().startsWith('Failed to load resource') && message.location().url === `${server.origin}/graphql`;
      if (message.type() === 'error' && !refusedGraphql) pageErrors.push(message.text());
    });

    const response = await page.goto(`${server.origin}/`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor({ timeout: 20_000 });

    // Anonymous, the schema may not be introspected: GraphiQL shows the refusal.
    await expect.poll(() => editorText(page, '.graphiql-response')).toMatch(/Introspection needs an\s+ANALYST/);

    // First visit: the Authentication panel is open. Paste a whole line of `npm start`'s output.
    await page.locator('#cg-token-input').fill(`  ANALYST         ${token}`);
    await page.locator('#cg-token-save').click();
    await expect
      .poll(() => page.locator('#cg-token-status').innerText())
      .toContain('Signed in as ANALYST (test-analyst)');
    expect(
      await page.evaluate(() =>
        (globalThis as unknown as { localStorage: { getItem(k: string): string | null } }).localStorage.getItem(
          'chargegraph-ide:token',
        ),
      ),
    ).toBe(token);

    // With the token, introspection succeeds: the docs list the root fields.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).first().click();
    await expect
      .poll(() => page.locator('.graphiql-doc-explorer').innerText(), { timeout: 10_000 })
      .toContain('operator');
    expect(await editorText(page, '.graphiql-response')).not.toContain('Introspection needs'); // the stale refusal is gone

    // Open the saved query and run it.
    const example = savedQueries.find((q) => q.id === 'revenue-per-operator');
    expect(example).toBeDefined();
    await page.getByRole('button', { name: 'Show Examples' }).click();
    await page.locator('[data-example="revenue-per-operator"] button').click();
    await expect.poll(() => editorText(page, '.graphiql-query-editor')).toContain('query RevenuePerOperator');
    await page.locator('.graphiql-execute-button').click();

    // A saved analytics query opens on its chart; the JSON is one click away.
    await page.locator('.cg-chart canvas').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'JSON', exact: true }).click();
    await expect
      .poll(() => editorText(page, '.graphiql-response'), { timeout: 15_000 })
      .toContain('"paymentCount": 42');
    const result = await editorText(page, '.graphiql-response');
    expect(result).toContain('"name": "Volta Test Operator"');
    expect(result).toMatch(/"gross": \{\s*"amount": 123456,\s*"currency": "EUR"\s*\}/);
    expect(result).toMatch(/"applicationFees": \{\s*"amount": 6172\s*\}/);
    expect(result).toMatch(/"net": \{\s*"amount": 117284\s*\}/);
    expect(result).not.toContain('"errors"');

    // The request went out as the gateway expects it: POST, JSON (passes Apollo's CSRF prevention), bearer token.
    const run = server.requests.find((r) => r.operationName === 'RevenuePerOperator');
    expect(run).toMatchObject({ method: 'POST', authorization: `Bearer ${token}`, variables: example?.variables });
    expect(run?.contentType).toMatch(/^application\/json/);

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    expect(foreignRequests, 'requests to other origins').toEqual([]);
    const network = requestedUrls.filter((url) => !url.startsWith('data:'));
    expect(network.length).toBeGreaterThan(3);
    for (const url of network) expect(url.startsWith(`${server.origin}/`), url).toBe(true);
    // Monaco's workers came from our origin too.
    expect(network.some((url) => /\/ide\/assets\/graphql\.worker-\w+\.js$/.test(url))).toBe(true);
    expect(
      pageErrors.filter((e) => /Content Security Policy|Refused to/.test(e)),
      'CSP violations',
    ).toEqual([]);
    expect(pageErrors, 'errors in the page').toEqual([]);
    expect(failedResponses, 'failed loads').toEqual([]);
  }, 60_000);

  it('notices a request to another origin (the guard above is not vacuous)', async () => {
    if (missingChromium) throw new Error(missingChromium);
    const page = await context.newPage();
    // A plain 404 page of ours, which has no CSP to stop the request before the guard sees it.
    await page.goto(`${server.origin}/ide/no-such-page`);
    const before = foreignRequests.length;
    await page.evaluate(() => fetch('https://cdn.example.invalid/graphiql.min.js').catch(() => undefined));
    expect(foreignRequests.slice(before)).toEqual(['https://cdn.example.invalid/graphiql.min.js']);
    await page.close();
  });

  it('opens a shared ?query= link in a tab', async () => {
    if (missingChromium) throw new Error(missingChromium);
    const page = await context.newPage();
    const query = 'query SharedLink($first: Int!) { stations(first: $first) { edges { node { name } } } }';
    await page.goto(
      `${server.origin}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent('{"first": 1}')}`,
    );
    await expect
      .poll(() => editorText(page, '.graphiql-query-editor'), { timeout: 20_000 })
      .toContain('query SharedLink');
    await page.locator('.graphiql-execute-button').click();
    await expect
      .poll(() => editorText(page, '.graphiql-response'), { timeout: 15_000 })
      .toContain('"name": "Hauptbahnhof Nord"');
    await page.close();
  });
});
