/**
 * The IDE against the running platform, in a real browser: the whole stack (four subgraphs and the gateway over
 * HTTP, generated history in their databases), Debian's Chromium driven by playwright-core opens `GET /` of the
 * gateway, an analyst's token is pasted, the saved "Revenue per operator" query runs, and the rendered result shows
 * the figures an independent computation expects. Nothing may be requested from another origin (the IDE works
 * offline). Screenshot: test-artifacts/ide-analytics.png.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBulk, type BulkResult } from '../../dev/bulk-data.js';
import { ensureIdeBuilt } from '../../gateway/ide/build.js';
import { savedQueries } from '../../gateway/ide/saved-queries.js';
import { Role } from '../../subgraphs/common/identity.js';
import { editorText, launchGuardedChromium, missingChromium, type GuardedBrowser } from '../ide/support.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { expectedRevenue, paymentRows, type RevenueFigures } from './support.js';

const SCREENSHOT = path.resolve('test-artifacts/ide-analytics.png');

let stack: TestStack;
let bulk: BulkResult;
let browser: GuardedBrowser;
let origin: string;

beforeAll(async () => {
  if (missingChromium) return; // the test fails with the message, it is never skipped
  await ensureIdeBuilt();
  stack = await startTestStack({ SWEEPER_CRON: 'off' });
  bulk = await seedBulk(stack.config, { sessions: 1500, end: '2026-11-01', days: 365 });
  origin = new URL(stack.gatewayUrl).origin;
  browser = await launchGuardedChromium(origin, { width: 1440, height: 1100 });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.destroy();
});

const money = (label: string, amount: number, currency?: string) =>
  new RegExp(`"${label}": \\{\\s*"amount": ${amount}${currency ? `,\\s*"currency": "${currency}"` : ''}\\s*\\}`);

describe('the IDE served by the running gateway', () => {
  it('runs the saved revenue query with an analyst token and renders the expected figures', async () => {
    if (missingChromium) throw new Error(missingChromium);
    const saved = savedQueries.find((q) => q.id === 'revenue-per-operator');
    if (!saved) throw new Error('the saved query revenue-per-operator is gone');
    const period = (saved.variables as { period: { from: string; to: string } }).period;

    // The independent computation: plain payment rows, local dates from Intl, sums in JavaScript.
    const payments = await paymentRows(stack);
    const operators = [...bulk.operators].sort((a, b) => a.id.localeCompare(b.id)); // the list is oldest (lowest id) first
    const expected = new Map(
      operators.map((o) => [
        o.id,
        expectedRevenue(payments, o.id, period).map(({ bucket: _bucket, ...figures }) => figures),
      ]),
    );
    const first = operators[0];
    const firstFigures = expected.get(first.id)!;
    expect(firstFigures.length).toBe(1);

    const pageErrors: string[] = [];
    const page = await browser.context.newPage();
    page.on('pageerror', (error) => void pageErrors.push(error.message));
    page.on('console', (message) => {
      // The anonymous introspection before the token is pasted is refused: the browser logs that, as it should.
      const refusedGraphql =
        message.text().startsWith('Failed to load resource') && message.location().url === `${origin}/graphql`;
      if (message.type() === 'error' && !refusedGraphql) pageErrors.push(message.text());
    });

    const response = await page.goto(`${origin}/`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor({ timeout: 30_000 });

    const token = await stack.token({ role: Role.ANALYST, sub: 'ide-analyst' });
    await page.locator('#cg-token-input').fill(token);
    await page.locator('#cg-token-save').click();
    await expect.poll(() => page.locator('#cg-token-status').innerText()).toContain('Signed in as ANALYST');

    await page.getByRole('button', { name: 'Show Examples' }).click();
    await page.locator('[data-example="revenue-per-operator"] button').click();
    await expect.poll(() => editorText(page, '.graphiql-query-editor')).toContain('query RevenuePerOperator');

    const answered = page.waitForResponse(
      (r) =>
        r.url() === `${origin}/graphql` &&
        r.request().method() === 'POST' &&
        (r.request().postDataJSON() as { operationName?: string }).operationName === 'RevenuePerOperator',
    );
    await page.locator('.graphiql-execute-button').click();
    const body = (await (await answered).json()) as {
      data?: { operators: { edges: Array<{ node: { id: string; name: string; revenueReport: RevenueFigures[] } }> } };
      errors?: unknown;
    };
    expect(body.errors).toBeUndefined();

    // Every operator's figures, as the gateway sent them to the page…
    const nodes = body.data!.operators.edges.map((e) => e.node);
    expect(nodes.map((n) => n.id)).toEqual(operators.map((o) => o.id));
    for (const node of nodes) expect(node.revenueReport, node.name).toEqual(expected.get(node.id));

    // …and as the page renders them: the first operator's row is on screen.
    const [row] = firstFigures;
    await expect.poll(() => rendered(page), { timeout: 15_000 }).toContain(`"name": "${first.name}"`);
    const text = await rendered(page);
    expect(text).toMatch(money('gross', row.gross.amount, row.currency));
    expect(text).toMatch(money('applicationFees', row.applicationFees.amount));
    expect(text).toMatch(money('refunded', row.refunded.amount));
    expect(text).toMatch(money('net', row.net.amount));
    expect(text).toContain(`"paymentCount": ${row.paymentCount}`);
    expect(text).not.toContain('"errors"');

    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    expect(browser.foreignRequests, 'requests to other origins').toEqual([]);
    const network = browser.requestedUrls.filter((url) => !url.startsWith('data:'));
    expect(network.length).toBeGreaterThan(3);
    for (const url of network) expect(url.startsWith(`${origin}/`), url).toBe(true);
    expect(pageErrors, 'errors in the page').toEqual([]);
    await page.close();
  }, 90_000);
});

/** The response pane as rendered (Monaco draws only the lines on screen). */
const rendered = (page: Page) => editorText(page, '.graphiql-response');
