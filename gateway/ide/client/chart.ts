/**
 * Draws a ChartData with uPlot (bundled into the IDE, served from our origin like everything else): a line per series
 * over time for bucketed analytics, bars for rankings. Colours come from GraphiQL's CSS variables, so the chart
 * follows the light and dark themes.
 */
import uPlot from 'uplot';
import { browser, type BrowserHtmlElement } from './browser.js';
import type { ChartData } from './result-data.js';

const VALUE_SCALE = 'value';

/** Hues that stay apart in both themes; the n-th series takes the n-th. */
const HUES = [214, 28, 145, 340, 265, 50, 185, 0];

function themeColour(variable: string, alpha = 1): string {
  const value = browser.getComputedStyle(browser.document.body).getPropertyValue(variable).trim();
  return value ? `hsla(${value}, ${alpha})` : `rgba(128, 128, 128, ${alpha})`;
}

const seriesColour = (index: number, dark: boolean) => `hsl(${HUES[index % HUES.length]}, 70%, ${dark ? 62 : 45}%)`;

/** GraphiQL's theme: the one picked in its settings (a body class), else the system's. */
export const isDark = () => {
  const { classList } = browser.document.body;
  if (classList.contains('graphiql-dark')) return true;
  return !classList.contains('graphiql-light') && browser.matchMedia('(prefers-color-scheme: dark)').matches;
};

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
  const scales = [...new Set(chart.series.map((series) => series.unit ?? VALUE_SCALE))];
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
          ? // Buckets are dates: label the points themselves when there are few, always as ISO dates.
            {
              ...(xs.length <= 31 ? { splits: () => xs } : {}),
              // A label every few points where they would overlap (an ISO date takes about 90 px).
              values: (_u: uPlot, splits: number[]) => {
                const every = Math.ceil(splits.length / Math.max(1, Math.floor(width / 90)));
                return splits.map((v, i) => (i % every === 0 ? isoDate(v) : ''));
              },
            }
          : {
              splits: () => xs,
              values: (_u: uPlot, splits: number[]) => splits.map((i) => chart.x[i] ?? ''),
            }),
      },
      // One y axis per unit (currency): yen and euros do not share a scale, one on the left, one on the right.
      // Past two units the axes would crowd the chart: further series keep their own scale, unlabelled.
      ...scales.slice(0, 2).map((scale, index) => ({
        ...axis,
        scale,
        side: index % 2 === 0 ? 3 : 1,
        size: 70,
        label: scale === VALUE_SCALE ? undefined : scale,
        grid: { ...axis.grid, show: index === 0 },
      })),
    ],
    series: [
      { label: overTime ? 'bucket' : 'name', value: (_u, v) => (overTime ? isoDate(v) : (chart.x[v] ?? '')) },
      ...chart.series.map((series, index) => ({
        label: series.label,
        scale: series.unit ?? VALUE_SCALE,
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
