/**
 * The IDE looks finished, in a real browser (Debian's Chromium through playwright-core), in light and dark mode:
 * GraphiQL's Docs and History panels are styled by their plugins' style sheets, and our Examples and Authentication
 * panels match them (computed styles compared: the title's font, the search box, the lists). Then the result view:
 * a saved revenue query opens with its chart (its data read from the chart element, not from pixels) and a list
 * downloads as CSV. Screenshots: test-artifacts/ide-<theme>-<panel>.png and ide-<theme>-chart.png.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIdeBuilt } from '../../gateway/ide/build.js';
import { TOKEN_STORAGE_KEY } from '../../gateway/ide/page-config.js';
import {
  editorText,
  launchGuardedChromium,
  missingChromium,
  signTestToken,
  startIdeTestServer,
  TEST_ENERGY,
  type GuardedBrowser,
  type IdeTestServer,
} from './support.js';

const ARTIFACTS = path.resolve('test-artifacts');
const THEMES = ['light', 'dark'] as const;
type Theme = (typeof THEMES)[number];

let server: IdeTestServer;
let browser: GuardedBrowser;

beforeAll(async () => {
  if (missingChromium) return; // each test fails with the message, none is skipped
  await ensureIdeBuilt();
  server = await startIdeTestServer();
  browser = await launchGuardedChromium(server.origin, { width: 1440, height: 900 });
  const token = await signTestToken('ANALYST');
  await browser.context.addInitScript(
    `localStorage.setItem(${JSON.stringify(TOKEN_STORAGE_KEY)}, ${JSON.stringify(token)});`,
  );
  await mkdir(ARTIFACTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openIde(theme: Theme): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => void errors.push(error.message));
  page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
  await page.emulateMedia({ colorScheme: theme });
  await page.goto(`${server.origin}/`, { waitUntil: 'load' });
  await page.locator('.graphiql-query-editor .monaco-editor').waitFor({ timeout: 20_000 });
  const dark = await page.evaluate(
    () =>
      (globalThis as unknown as { matchMedia(q: string): { matches: boolean } }).matchMedia(
        '(prefers-color-scheme: dark)',
      ).matches,
  );
  expect(dark).toBe(theme === 'dark'); // GraphiQL follows the system's theme until one is picked
  return { page, errors };
}

/** Opens a sidebar panel (its button reads "Show …" while it is closed). */
async function showPanel(page: Page, label: string): Promise<void> {
  const show = page.locator(`button[aria-label="Show ${label}"]`);
  if (await show.count()) await show.click();
  await page.locator(`button[aria-label="Hide ${label}"]`).waitFor();
}

type Styles = Record<string, string>;
const STYLE_PROPERTIES = [
  'fontSize',
  'fontWeight',
  'fontFamily',
  'color',
  'backgroundColor',
  'borderTopStyle',
  'borderTopWidth',
  'borderRadius',
  'paddingTop',
  'paddingLeft',
  'listStyleType',
  'display',
] as const;

/** Computed styles of the first element matching `selector`. */
const stylesOf = (page: Page, selector: string): Promise<Styles> =>
  page
    .locator(selector)
    .first()
    .evaluate(
      (element, properties) => {
        const style = (
          globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }
        ).getComputedStyle(element);
        return Object.fromEntries(properties.map((p) => [p, style[p]]));
      },
      STYLE_PROPERTIES as unknown as string[],
    );

const pick = (styles: Styles, ...keys: string[]) => Object.fromEntries(keys.map((k) => [k, styles[k]]));

interface PanelStyles {
  docsTitle: Styles;
  docsSearch: Styles;
  docsSearchInput: Styles;
  historyTitle: Styles;
  historyList: Styles;
  historyItem: Styles;
  examplesTitle: Styles;
  examplesSearch: Styles;
  examplesSearchInput: Styles;
  examplesList: Styles;
  authTitle: Styles;
  tokenInput: Styles;
}

async function panelStyles(page: Page, theme: Theme): Promise<PanelStyles> {
  // One run, so the History panel has an entry to style.
  await page.locator('.graphiql-execute-button').click();
  await expect.poll(() => editorText(page, '.graphiql-response'), { timeout: 15_000 }).toContain('Hauptbahnhof Nord');
  const shot = (panel: string) => page.screenshot({ path: path.join(ARTIFACTS, `ide-${theme}-${panel}.png`) });

  await showPanel(page, 'Documentation Explorer');
  await page.locator('.graphiql-doc-explorer-title').waitFor();
  const docs = {
    docsTitle: await stylesOf(page, '.graphiql-doc-explorer-title'),
    docsSearch: await stylesOf(page, '.graphiql-doc-explorer-search-input'),
    docsSearchInput: await stylesOf(page, '.graphiql-doc-explorer-search [role="combobox"]'),
  };
  await shot('docs');

  await showPanel(page, 'History');
  await page.locator('.graphiql-history-item').first().waitFor();
  const history = {
    historyTitle: await stylesOf(page, '.graphiql-history-header'),
    historyList: await stylesOf(page, '.graphiql-history-items'),
    historyItem: await stylesOf(page, '.graphiql-history-item'),
  };
  await shot('history');

  await showPanel(page, 'Examples');
  const examples = {
    examplesTitle: await stylesOf(page, '.cg-panel-title'),
    examplesSearch: await stylesOf(page, '.cg-search'),
    examplesSearchInput: await stylesOf(page, '.cg-search-input'),
    examplesList: await stylesOf(page, '.cg-examples'),
  };
  await shot('examples');

  await showPanel(page, 'Authentication');
  const auth = {
    authTitle: await stylesOf(page, '.cg-panel-title'),
    tokenInput: await stylesOf(page, '.cg-token-input'),
  };
  await shot('authentication');
  return { ...docs, ...history, ...examples, ...auth };
}

describe('the IDE looks finished', () => {
  const measured = new Map<Theme, PanelStyles>();

  for (const theme of THEMES) {
    it(`styles the Docs, History, Examples and Authentication panels alike (${theme})`, async () => {
      if (missingChromium) throw new Error(missingChromium);
      const { page, errors } = await openIde(theme);
      const s = await panelStyles(page, theme);
      measured.set(theme, s);

      // Titles: GraphiQL's h2 in every panel (unstyled, ours were body text and the History's a bare div).
      const title = (styles: Styles) => pick(styles, 'fontSize', 'fontWeight', 'fontFamily', 'color');
      expect(parseFloat(s.docsTitle.fontSize)).toBeGreaterThan(20);
      expect(title(s.historyTitle)).toEqual(title(s.docsTitle));
      expect(title(s.examplesTitle)).toEqual(title(s.docsTitle));
      expect(title(s.authTitle)).toEqual(title(s.docsTitle));

      // The search boxes: a tinted, rounded field without a border of its own, the same in Docs and Examples.
      const box = (styles: Styles) =>
        pick(styles, 'backgroundColor', 'borderRadius', 'paddingTop', 'paddingLeft', 'display');
      expect(s.docsSearch.backgroundColor).not.toBe('rgba(0, 0, 0, 0)');
      expect(s.docsSearch.borderRadius).not.toBe('0px');
      expect(box(s.examplesSearch)).toEqual(box(s.docsSearch));
      expect(s.docsSearchInput.borderTopStyle).toBe('none');
      expect(s.examplesSearchInput.borderTopStyle).toBe('none');
      expect(s.examplesSearchInput.backgroundColor).toBe(s.docsSearchInput.backgroundColor);

      // Lists without bullets; history entries laid out as rows (not crammed icons in a bullet list).
      expect(s.historyList.listStyleType).toBe('none');
      expect(s.examplesList.listStyleType).toBe('none');
      expect(s.historyItem.display).toBe('flex');
      expect(s.historyItem.borderRadius).not.toBe('0px');

      // The token box: a bordered field on the theme's base colour.
      expect(pick(s.tokenInput, 'borderTopStyle', 'borderTopWidth')).toEqual({
        borderTopStyle: 'solid',
        borderTopWidth: '1px',
      });
      expect(errors, 'errors in the page').toEqual([]);
      await page.close();
    }, 60_000);
  }

  it('follows the theme: dark mode changes the colours of every panel, ours included', () => {
    if (missingChromium) throw new Error(missingChromium);
    const light = measured.get('light');
    const dark = measured.get('dark');
    expect(light && dark, 'both themes measured').toBeTruthy();
    for (const key of ['docsTitle', 'historyTitle', 'examplesTitle', 'authTitle'] as const)
      expect(dark![key].color, key).not.toBe(light![key].color);
    for (const key of ['docsSearch', 'examplesSearch', 'tokenInput'] as const)
      expect(dark![key].backgroundColor, key).not.toBe(light![key].backgroundColor);
  });
});

interface ChartElementData {
  kind: string;
  list: string;
  measure: string;
  x: string[];
  series: Array<{ label: string; values: Array<number | null> }>;
}

async function runExample(page: Page, id: string, operationName: string): Promise<void> {
  await showPanel(page, 'Examples');
  await page.locator(`[data-example="${id}"] button`).click();
  await expect.poll(() => editorText(page, '.graphiql-query-editor')).toContain(`query ${operationName}`);
  await page.locator('.graphiql-execute-button').click();
}

const chartData = async (page: Page): Promise<ChartElementData> =>
  JSON.parse((await page.locator('.cg-chart').getAttribute('data-chart')) ?? 'null') as ChartElementData;

describe('the result view', () => {
  for (const theme of THEMES) {
    it(`opens a saved revenue query with its chart: a point per bucket, a series per currency (${theme})`, async () => {
      if (missingChromium) throw new Error(missingChromium);
      const { page, errors } = await openIde(theme);
      await runExample(page, 'revenue-by-day', 'RevenueByDay');
      await page.locator('.cg-chart canvas').waitFor({ timeout: 15_000 });
      expect(await chartData(page)).toEqual({
        kind: 'line',
        list: 'operator.revenueReport',
        measure: 'gross.amount',
        x: ['2026-10-01', '2026-10-02', '2026-10-03'],
        series: [
          { label: 'EUR', unit: 'EUR', values: [123.45, 67.89, 1] },
          { label: 'JPY', unit: 'JPY', values: [5000, null, 12000] },
        ],
      });
      // The same data on the window hook; the JSON is hidden behind one click, and back.
      expect(
        await page.evaluate(
          () => (globalThis as unknown as { __chargegraphChart?: { x: string[] } }).__chargegraphChart?.x,
        ),
      ).toEqual(['2026-10-01', '2026-10-02', '2026-10-03']);
      await expect.poll(() => page.locator('.graphiql-response .result-window').isVisible()).toBe(false);
      await page.screenshot({ path: path.join(ARTIFACTS, `ide-${theme}-chart.png`) });
      await page.getByRole('button', { name: 'JSON', exact: true }).click();
      await expect.poll(() => page.locator('.graphiql-response .result-window').isVisible()).toBe(true);
      expect(await page.locator('.cg-chart').count()).toBe(0);
      // The editor fills its lines after it becomes visible again.
      await expect.poll(() => editorText(page, '.graphiql-response')).toContain('"paymentCount": 3');
      await page.getByRole('button', { name: 'Chart', exact: true }).click();
      await page.locator('.cg-chart canvas').waitFor();

      // Another value of the same series, picked in the view.
      await page.locator('.cg-result select').first().selectOption('net.amount');
      await expect.poll(async () => (await chartData(page)).series[0].values).toEqual([117.28, 64.5, 0.95]);
      expect(errors, 'errors in the page').toEqual([]);
      await page.close();
    }, 60_000);
  }

  it('downloads the energy series as CSV (and copies it as TSV): a row per operator and week, ISO dates, field-path columns', async () => {
    if (missingChromium) throw new Error(missingChromium);
    const { page } = await openIde('light');
    await runExample(page, 'energy-per-operator', 'EnergyPerOperator');
    await page.locator('.cg-chart canvas').waitFor({ timeout: 15_000 });
    expect(await page.locator('.cg-export-list').inputValue()).toBe('operators.edges.node.energy');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('.cg-export-csv').click()]);
    expect(download.suggestedFilename()).toBe('EnergyPerOperator-operators-edges-node-energy.csv');
    const csv = await readFile(await download.path(), 'utf8');
    const header =
      'operators.edges.node.id,operators.edges.node.name,operators.edges.node.energy.bucket,' +
      'operators.edges.node.energy.sessionCount,operators.edges.node.energy.energyKwh,' +
      'operators.edges.node.energy.averageDurationMinutes';
    expect(csv).toBe(
      [
        header,
        ...TEST_ENERGY.map(
          (e) =>
            `op-1,Volta Test Operator,${e.bucket},${e.sessionCount},${e.energyKwh},${e.averageDurationMinutes ?? ''}`,
        ),
      ].join('\r\n') + '\r\n',
    );

    // The same list for pasting into a spreadsheet: TSV on the clipboard.
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
    await page.locator('.cg-export-tsv').click();
    await expect.poll(() => page.locator('.cg-result [role="status"]').innerText()).toBe('Copied 2 rows');
    const tsv = await page.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    expect(tsv.split('\n')[0]).toBe(header.replaceAll(',', '\t'));
    expect(tsv.split('\n')[1]).toBe('op-1\tVolta Test Operator\t2026-09-28\t4\t120.25\t35.5');
    await page.close();
  }, 60_000);
});
