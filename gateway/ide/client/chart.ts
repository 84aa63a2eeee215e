/**
 * Draws a ChartData with uPlot (bundled into the IDE, served from our origin like everything else): a line per series
 * over time for bucketed analytics, bars for rankings. Colours come from GraphiQL's CSS variables, so the chart
 * follows the light and dark themes.
 */
import uPlot from 'uplot';
import { browser, type BrowserHtmlElement } from './browser.js';
import type { ChartData } from './result-data.js';

/** Hues that stay apart in both themes; the n-th series takes the n-th. */
const HUES = [214, 28, 145, 340, 265, 50, 185, 0];

function themeColour(variable: string, alpha = 1): string {
  const value = browser.getComputedStyle(browser.document.body).getPropertyValue(variable).trim();
  return value ? `hsla(${value}, ${alpha})` : `rgba(128, 128, 128, ${alpha})`;
}

const seriesColour = (index: number, dark: boolean) => `hsl(${HUES[index % HUES.length]}, 70%, ${dark ? 62 : 45}%)`;

const isDark = () => browser.document.body.classList.contains('graphiql-dark');

export function drawChart(target: BrowserHtmlElement, chart: ChartData, width: number, height: number): uPlot {
  const dark = isDark();
  const axisColour = themeColour('--color-neutral', 0.7);
  const gridColour = themeColour('--color-neutral', 0.12);
  const overTime = chart.kind === 'line' && chart.x.every((x) => /^\d{4}-\d{2}-\d{2}/.test(x));
  const xs = overTime ? chart.x.map((x) => Date.parse(`${x.slice(0, 10)}T00:00:00Z`) / 1000) : chart.x.map((_, i) => i);
  const grouped = chart.series.length;
  const bars = (index: number) =>
    uPlot.paths.bars?.({
      size: [grouped > 1 ? 0.4 : 0.6, 60],
      align: grouped === 2 ? (index === 0 ? -1 : 1) : 0,
    });
  const axis = {
    stroke: axisColour,
    grid: { stroke: gridColour, width: 1 },
    ticks: { stroke: gridColour, width: 1 },
    font: '12px Roboto, system-ui, sans-serif',
  };
  const options: uPlot.Options = {
    width,
    height,
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: overTime
        ? { time: true }
        : { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] as uPlot.Range.MinMax },
    },
    axes: [
      {
        ...axis,
        ...(overTime
          ? {}
          : {
              splits: () => xs,
              values: (_u: uPlot, splits: number[]) => splits.map((i) => chart.x[i] ?? ''),
              rotate: 0,
            }),
      },
      { ...axis, size: 70 },
    ],
    series: [
      { label: overTime ? 'bucket' : 'name', value: (_u, v) => (overTime ? isoDate(v) : (chart.x[v] ?? '')) },
      ...chart.series.map((series, index) => ({
        label: series.label,
        stroke: seriesColour(index, dark),
        fill: chart.kind === 'bar' ? seriesColour(index, dark) : undefined,
        width: 2,
        points: { show: chart.kind === 'line' },
        paths: chart.kind === 'bar' ? bars(index) : undefined,
        spanGaps: true,
      })),
    ],
  };
  const data: uPlot.AlignedData = [xs, ...chart.series.map((s) => s.values)];
  return new uPlot(options, data, target);
}

const isoDate = (seconds: number | null) =>
  seconds === null ? '' : new Date(seconds * 1000).toISOString().slice(0, 10);
