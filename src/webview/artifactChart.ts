/**
 * A chart artifact drawn with the dashboard's chart code: the same chart.js setup, theme colours,
 * one number format per axis and exact figures in tooltips as the built-in flows' charts.
 */
import type { ChartConfiguration } from 'chart.js';
import { BASE_OPTIONS, Chart, painted, valueTicks, type Painted } from './chartSetup';
import type { Table } from './csv';
import { formatInteger, type SeriesColor } from './format';
import type { ChartData } from './protocol';
import type { Palette } from './theme';

const SERIES_COLORS: readonly SeriesColor[] = ['blue', 'orange', 'green', 'purple', 'red', 'cyan', 'yellow', 'magenta'];

/** x values as axis labels: a date at midnight UTC (what a Date becomes) as its day. */
export function xLabels(chart: ChartData): string[] {
  return chart.x.map((x) => (typeof x === 'number' ? formatInteger(x) : x.replace(/^(\d{4}-\d{2}-\d{2})T00:00:00(?:\.000)?Z$/, '$1')));
}

export function artifactChartTable(chart: ChartData): Table {
  return { header: ['x', ...chart.series.map((s) => s.name)], rows: chart.x.map((x, i) => [x, ...chart.series.map((s) => s.values[i] ?? null)]) };
}

export function artifactChart(canvas: HTMLCanvasElement, chart: ChartData, palette: Palette): Painted {
  const exact = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
  const config: ChartConfiguration<'line' | 'bar', (number | null)[], string> = {
    type: chart.kind,
    data: {
      labels: xLabels(chart),
      datasets: chart.series.map((s) => ({ label: s.name, data: s.values, borderWidth: chart.kind === 'line' ? 2 : 0, pointRadius: chart.x.length > 60 ? 0 : 2, tension: 0, spanGaps: false })),
    },
    options: {
      ...BASE_OPTIONS,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { type: 'category', grid: { display: false }, border: { display: false }, ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 8 } },
        y: {
          type: 'linear',
          beginAtZero: chart.kind === 'bar',
          border: { display: false },
          ticks: { maxTicksLimit: 5, ...valueTicks() },
          title: { display: chart.yLabel !== undefined, text: chart.yLabel ?? '' },
        },
      },
      plugins: {
        legend: { display: chart.series.length > 1, position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${item.raw === null ? 'no value' : exact.format(Number(item.raw))}${chart.yLabel ? ` ${chart.yLabel}` : ''}` } },
      },
    },
  };
  return painted(new Chart(canvas, config), palette, (i, p) => p.series[SERIES_COLORS[i % SERIES_COLORS.length]!]);
}
