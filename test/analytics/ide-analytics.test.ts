/**
 * The IDE against the running platform, in a real browser: the whole stack (four subgraphs and the gateway over
 * HTTP, generated history in their databases), Debian's Chromium driven by playwright-core opens `GET /` of the
 * gateway, an analyst's token is pasted, the saved "Revenue per operator" query runs, and the rendered result shows
 * the figures an independent computation expects. Nothing may be requested from another origin (the IDE works
 * offline). Screenshot: test-artifacts/ide-analytics.png.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBulk, type BulkResult } from '../../dev/bulk-data.js';
import { ensureIdeBuilt } from '../../gateway/ide/build.js';
import { savedQueries } from '../../gateway/ide/saved-queries.js';
import { Role } from '../../platform/identity.js';
import { editorText, launchGuardedChromium, missingChromium, type GuardedBrowser } from '../ide/support.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { TOKEN_STORAGE_KEY } from '../../gateway/ide/page-config.js';
import { minorToDecimal } from '../../gateway/ide/client/result-data.js';
import { closeTo, expectedEnergy, expectedRevenue, paymentRows, sessionRows, type RevenueFigures } from './support.js';

const SCREENSHOT = path.resolve('test-artifacts/ide-analytics.png');
/** The README's pictures of the IDE: rewritten by `UPDATE_SCREENSHOTS=1 npx vitest run test/analytics/ide-analytics.test.ts`. */
const README_SCREENSHOTS = path.resolve('docs/screenshots');

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

    // …and as the page renders them: the saved query opens on its chart, the JSON is a click away.
    await page.locator('.cg-chart canvas').waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'JSON', exact: true }).click();
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

interface ChartElementData {
  kind: string;
  list: string;
  measure: string;
  x: string[];
  series: Array<{ label: string; unit?: string; values: Array<number | null> }>;
}

/** Opens a saved query as a shared link (so it is recognised, and opens with its chart) with other variables. */
async function openSaved(id: string, variables: Record<string, unknown>, colorScheme: 'light' | 'dark' = 'light') {
  const saved = savedQueries.find((q) => q.id === id);
  if (!saved) throw new Error(`the saved query ${id} is gone`);
  const token = await stack.token({ role: Role.ANALYST, sub: 'ide-analyst-charts' });
  const page = await browser.context.newPage();
  await page.addInitScript(`localStorage.setItem(${JSON.stringify(TOKEN_STORAGE_KEY)}, ${JSON.stringify(token)});`);
  await page.emulateMedia({ colorScheme });
  const link = `${origin}/graphql?query=${encodeURIComponent(saved.query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`;
  await page.goto(link, { waitUntil: 'load' });
  await page.locator('.graphiql-query-editor .monaco-editor').waitFor({ timeout: 30_000 });
  await page.locator('.graphiql-execute-button').click();
  await page
    .locator('.cg-chart canvas')
    .waitFor({ timeout: 20_000 })
    .catch(async (error: Error) => {
      throw new Error(`${error.message}\nthe answer: ${(await rendered(page)).slice(0, 800)}`);
    });
  const chart = JSON.parse((await page.locator('.cg-chart').getAttribute('data-chart')) ?? 'null') as ChartElementData;
  return { page, chart };
}

describe('charts and exports of the saved analytics queries', () => {
  it('opens the revenue by month with its chart: one point per bucket, the computed gross in yen', async () => {
    if (missingChromium) throw new Error(missingChromium);
    const operator = [...bulk.operators].find((o) => o.currency === 'JPY');
    if (!operator) throw new Error('the bulk data has no JPY operator');
    const period = { from: '2025-11-01', to: '2026-11-01' };
    const expected = expectedRevenue(await paymentRows(stack), operator.id, period, 'MONTH');
    expect(expected.length).toBeGreaterThan(6);

    for (const theme of ['light', 'dark'] as const) {
      const { page, chart } = await openSaved(
        'revenue-by-day',
        { operatorId: operator.id, period, bucket: 'MONTH' },
        theme,
      );
      expect(chart).toMatchObject({ kind: 'line', list: 'operator.revenueReport', measure: 'gross.amount' });
      expect(chart.x).toEqual(expected.map((e) => e.bucket));
      expect(chart.series).toEqual([
        { label: 'JPY', unit: 'JPY', values: expected.map((e) => Number(minorToDecimal(e.gross.amount, 'JPY'))) },
      ]);
      const file = path.resolve(`test-artifacts/ide-chart-${theme}.png`);
      await page.screenshot({ path: file });
      if (process.env.UPDATE_SCREENSHOTS) {
        await mkdir(README_SCREENSHOTS, { recursive: true });
        await copyFile(file, path.join(README_SCREENSHOTS, `ide-chart-${theme}.png`));
      }
      await page.close();
    }
  }, 90_000);

  it('downloads the energy per operator and week as CSV: the rows an independent computation expects', async () => {
    if (missingChromium) throw new Error(missingChromium);
    const saved = savedQueries.find((q) => q.id === 'energy-per-operator')!;
    const period = (saved.variables as { period: { from: string; to: string } }).period;
    const { page, chart } = await openSaved('energy-per-operator', { period, bucket: 'WEEK' });
    expect(chart).toMatchObject({ kind: 'line', list: 'operators.edges.node.energy', measure: 'energyKwh' });

    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.cg-export-csv').click()]);
    const [header, ...lines] = (await readFile(await download.path(), 'utf8')).trimEnd().split('\r\n');
    expect(header.split(',')).toEqual([
      'operators.edges.node.id',
      'operators.edges.node.name',
      'operators.edges.node.energy.bucket',
      'operators.edges.node.energy.sessionCount',
      'operators.edges.node.energy.energyKwh',
      'operators.edges.node.energy.averageDurationMinutes',
    ]);
    const sessions = await sessionRows(stack);
    const operators = [...bulk.operators].sort((a, b) => a.id.localeCompare(b.id));
    const expected = operators.flatMap((o) =>
      expectedEnergy(sessions, (s) => s.operator_id === o.id, period, 'WEEK').map((e) => ({ o, e })),
    );
    expect(lines).toHaveLength(expected.length);
    lines.forEach((line, i) => {
      const [id, name, bucket, count, kwh, minutes] = line.split(',');
      const { o, e } = expected[i];
      expect({ id, name, bucket, count: Number(count) }).toEqual({
        id: o.id,
        name: o.name,
        bucket: e.bucket,
        count: e.sessionCount,
      });
      expect(bucket).toMatch(/^\d{4}-\d{2}-\d{2}$/); // ISO 8601 (the Monday starting the week)
      expect(closeTo(Number(kwh), e.energyKwh), `${o.name} ${bucket} kWh ${kwh} vs ${e.energyKwh}`).toBe(true);
      expect(closeTo(minutes === '' ? null : Number(minutes), e.averageDurationMinutes)).toBe(true);
    });
    await page.close();
  }, 90_000);
});
