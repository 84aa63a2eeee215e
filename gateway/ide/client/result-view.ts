import { createElement as h, useEffect, useMemo, useRef, useState } from 'react';
import { Button, useGraphiQL } from '@graphiql/react';
import type uPlot from 'uplot';
import type { ChartHint, SavedQuery } from '../saved-queries.js';
import { browser, inputValue, type BrowserHtmlElement } from './browser.js';
import { drawChart, isDark } from './chart.js';
import { detectChart, findLists, moneyPaths, toCsv, toTable, toTsv, type ChartData, type Json } from './result-data.js';

/** The query without comments and with whitespace collapsed, to recognise a saved query in the editor. */
const normalize = (query: string | null | undefined) => (query ?? '').replace(/#.*$/gm, '').replace(/\s+/g, ' ').trim();

/** The answer in the response editor, kept current as results arrive. */
function useResponseText(): string {
  const responseEditor = useGraphiQL((state) => state.responseEditor);
  const [text, setText] = useState('');
  useEffect(() => {
    if (!responseEditor) return;
    setText(responseEditor.getValue());
    const subscription = responseEditor.onDidChangeModelContent(() => setText(responseEditor.getValue()));
    return () => subscription.dispose();
  }, [responseEditor]);
  return text;
}

function parseData(text: string): Json | undefined {
  try {
    const parsed = JSON.parse(text) as { data?: Json };
    return parsed && typeof parsed === 'object' ? (parsed.data ?? undefined) : undefined;
  } catch {
    return undefined; // not JSON (yet): nothing to chart or export
  }
}

function ChartCanvas({ chart }: { chart: ChartData }) {
  const ref = useRef<BrowserHtmlElement | null>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  const [theme, setTheme] = useState(isDark);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => setSize({ width: element.clientWidth, height: element.clientHeight });
    measure();
    const resize = new browser.ResizeObserver(measure);
    resize.observe(element);
    const themes = new browser.MutationObserver(() => setTheme(isDark()));
    themes.observe(browser.document.body, { attributes: true, attributeFilter: ['class'] });
    return () => {
      resize.disconnect();
      themes.disconnect();
    };
  }, []);
  useEffect(() => {
    const element = ref.current;
    if (!element || size.width < 50 || size.height < 50) return;
    // uPlot's legend sits below the plot: leave it room.
    let plot: uPlot | undefined = drawChart(element, chart, size.width, Math.max(120, size.height - 60));
    return () => {
      plot?.destroy();
      plot = undefined;
    };
  }, [chart, size, theme]);
  return h('div', {
    ref,
    className: 'cg-chart',
    'data-chart': JSON.stringify({
      kind: chart.kind,
      list: chart.list,
      measure: chart.measure,
      x: chart.x,
      series: chart.series,
    }),
    role: 'img',
    'aria-label': `${chart.kind === 'line' ? 'Line' : 'Bar'} chart of ${chart.measure} in ${chart.list}`,
  });
}

function download(fileName: string, text: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = browser.document.createElement('a');
  link.href = url;
  link.download = fileName;
  browser.document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Below the response: a chart when the answer holds a series (bucketed analytics over time, rankings), with the JSON
 * one click away, and every list of the answer as a CSV download or TSV for the clipboard.
 */
export function resultView(savedQueries: SavedQuery[]) {
  const hints = new Map<string, ChartHint | undefined>(savedQueries.map((q) => [normalize(q.query), q.chart]));

  return function ResultView() {
    const text = useResponseText();
    const schema = useGraphiQL((state) => state.schema);
    const queryEditor = useGraphiQL((state) => state.queryEditor);
    const operationName = useGraphiQL((state) => state.operationName);
    const query = queryEditor?.getValue() ?? '';

    const data = useMemo(() => parseData(text), [text]);
    const money = useMemo(() => moneyPaths(schema, query), [schema, query]);
    const hint = hints.get(normalize(query));
    const [measure, setMeasure] = useState<string | undefined>(undefined);
    const chart = useMemo(() => {
      if (data === undefined) return undefined;
      const picked = measure ? { measure, kind: hint?.kind } : hint;
      return detectChart(data, picked, money) ?? detectChart(data, undefined, money);
    }, [data, hint, measure, money]);
    const lists = useMemo(() => (data === undefined ? [] : findLists(data)), [data]);

    // A saved query's answer and any series over time open on the chart; other lists with numbers (a catalogue's
    // prices) offer it a click away.
    const [view, setView] = useState<'chart' | 'json'>('json');
    const opensOnChart = Boolean(chart && (hint || chart.overTime));
    useEffect(() => {
      setMeasure(undefined);
    }, [text]);
    useEffect(() => {
      setView(opensOnChart ? 'chart' : 'json');
      // What tests and scripts read: the data the chart draws (also on the element as data-chart), not its pixels.
      Object.assign(globalThis, { __chargegraphChart: chart });
    }, [chart, opensOnChart]);

    const [listPath, setListPath] = useState<string | undefined>(undefined);
    const list = lists.find((l) => l.path === listPath) ?? lists.find((l) => l.path === chart?.list) ?? lists.at(-1);
    const [copied, setCopied] = useState('');
    const exportTable = () => (list ? toTable(list, money) : undefined);
    const fileName = `${operationName ?? 'result'}-${list?.path.replace(/\./g, '-') ?? 'list'}.csv`;

    if (data === undefined || (!chart && lists.length === 0)) return null;
    return h(
      'div',
      { className: 'cg-result', 'data-view': view },
      h(
        'div',
        { className: 'cg-result-toolbar', role: 'toolbar', 'aria-label': 'Result view' },
        chart &&
          h(
            'div',
            { className: 'cg-segmented', role: 'group', 'aria-label': 'Show the result as' },
            h(
              'button',
              {
                type: 'button',
                className: 'cg-segment',
                'aria-pressed': view === 'chart',
                onClick: () => setView('chart'),
              },
              'Chart',
            ),
            h(
              'button',
              {
                type: 'button',
                className: 'cg-segment',
                'aria-pressed': view === 'json',
                onClick: () => setView('json'),
              },
              'JSON',
            ),
          ),
        chart &&
          view === 'chart' &&
          h(
            'label',
            { className: 'cg-field' },
            'Value ',
            h(
              'select',
              {
                className: 'cg-select',
                value: chart.measure,
                onChange: (event: { target: unknown }) => setMeasure(inputValue(event)),
              },
              ...chart.measures.map((m) => h('option', { key: m, value: m }, m)),
            ),
          ),
        h('span', { className: 'cg-spacer' }),
        list &&
          h(
            'label',
            { className: 'cg-field' },
            'List ',
            h(
              'select',
              {
                className: 'cg-select cg-export-list',
                value: list.path,
                onChange: (event: { target: unknown }) => setListPath(inputValue(event)),
              },
              ...lists.map((l) =>
                h(
                  'option',
                  { key: l.path, value: l.path },
                  `${l.path} (${l.occurrences.reduce((n, o) => n + o.items.length, 0)})`,
                ),
              ),
            ),
          ),
        list &&
          h(
            Button,
            {
              type: 'button',
              className: 'cg-export-csv',
              onClick: () => {
                const table = exportTable();
                if (table) download(fileName, toCsv(table), 'text/csv;charset=utf-8');
              },
            },
            'Download CSV',
          ),
        list &&
          h(
            Button,
            {
              type: 'button',
              className: 'cg-export-tsv',
              onClick: () => {
                const table = exportTable();
                if (!table) return;
                void browser.navigator.clipboard
                  ?.writeText(toTsv(table))
                  .then(() => setCopied(`Copied ${table.rows.length} rows`))
                  .catch(() => setCopied('The browser refused the clipboard'));
              },
            },
            'Copy TSV',
          ),
        copied && h('span', { className: 'cg-help', role: 'status' }, copied),
      ),
      chart && view === 'chart' && h(ChartCanvas, { chart }),
    );
  };
}
