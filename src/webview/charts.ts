/**
 * Line charts on chart.js, registering only the parts a line chart uses: `chart.js/auto` would bring
 * every controller, element and scale (~40 KB more). Colours are applied by a `paint` function kept per
 * chart, so a theme change recolours charts in place instead of rebuilding them.
 */
import {
  CategoryScale,
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ScriptableContext,
} from 'chart.js';
import { formatCount, formatDay } from './format';
import { withAlpha } from './color';
import type { Palette } from './theme';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Tooltip, Filler);

/** A drawn chart and how to recolour it; the group needs nothing more from it. */
export interface Painted {
  chart: { update(mode: 'none'): void; destroy(): void };
  paint: (p: Palette) => void;
}

/** The charts of one dashboard section, destroyed together when the section is redrawn. */
export class ChartGroup {
  private charts: Painted[] = [];

  add(entry: Painted): void {
    this.charts.push(entry);
  }

  repaint(palette: Palette): void {
    for (const { chart, paint } of this.charts) {
      paint(palette);
      chart.update('none');
    }
  }

  destroy(): void {
    for (const { chart } of this.charts) chart.destroy();
    this.charts = [];
  }
}

export function applyChartDefaults(palette: Palette): void {
  Chart.defaults.color = palette.muted;
  Chart.defaults.borderColor = palette.grid;
  Chart.defaults.font.family = palette.fontFamily;
  Chart.defaults.font.size = Math.max(10, palette.fontSize - 2);
}

/** A point only shows where it stands alone between gaps; otherwise the line carries it. */
function isolatedPointRadius(ctx: ScriptableContext<'line'>): number {
  const data = ctx.dataset.data as (number | null)[];
  const i = ctx.dataIndex;
  const alone = data[i] !== null && (i === 0 || data[i - 1] === null) && (i === data.length - 1 || data[i + 1] === null);
  return alone ? 2.5 : 0;
}

function tooltipColors(palette: Palette): Record<string, string | number> {
  return {
    backgroundColor: palette.background,
    titleColor: palette.foreground,
    bodyColor: palette.foreground,
    borderColor: palette.grid,
    borderWidth: 1,
  };
}

/** What every line in the dashboard shares. Monotone curves never overshoot the data: a count never dips below zero between two points. */
const LINE_STYLE = {
  fill: 'origin',
  cubicInterpolationMode: 'monotone',
  pointHoverRadius: 4,
  pointHitRadius: 8,
} as const;

/** Charts fill their card, redraw without animation (a stream of updates would never settle). */
const BASE_OPTIONS = { responsive: true, maintainAspectRatio: false, animation: false } as const;

export interface MetricChartSpec {
  /** `YYYY-MM-DD` per point. */
  dates: string[];
  values: (number | null)[];
  label: string;
  color: keyof Palette['series'];
  format: (value: number) => string;
}

/** One metric over days; null days break the line. */
export function metricChart(canvas: HTMLCanvasElement, spec: MetricChartSpec, palette: Palette): Painted {
  const config: ChartConfiguration<'line', (number | null)[], string> = {
    type: 'line',
    data: {
      labels: spec.dates,
      datasets: [
        {
          label: spec.label,
          data: spec.values,
          ...LINE_STYLE,
          spanGaps: false,
          borderWidth: 1.75,
          pointRadius: isolatedPointRadius,
        },
      ],
    },
    options: {
      ...BASE_OPTIONS,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: {
          type: 'category',
          grid: { display: false },
          border: { display: false },
          ticks: { maxRotation: 0, autoSkip: true, maxTicksLimit: 5, callback: (_v, i) => formatDay(spec.dates[i] ?? '') },
        },
        y: {
          type: 'linear',
          beginAtZero: true,
          border: { display: false },
          ticks: { maxTicksLimit: 4, callback: (v) => spec.format(Number(v)) },
        },
      },
      plugins: {
        tooltip: {
          displayColors: false,
          callbacks: {
            title: (items) => formatDay(spec.dates[items[0]?.dataIndex ?? 0] ?? '', true),
            label: (item) => (item.raw === null ? `${spec.label}: no data` : `${spec.label}: ${spec.format(Number(item.raw))}`),
          },
        },
      },
    },
  };
  const chart = new Chart(canvas, config);
  const paint = (p: Palette): void => {
    const color = p.series[spec.color];
    const dataset = chart.data.datasets[0]!;
    dataset.borderColor = color;
    dataset.backgroundColor = withAlpha(color, p.kind.startsWith('high-contrast') ? 0 : 0.14);
    dataset.pointBackgroundColor = color;
    dataset.pointBorderColor = color;
    chart.options.scales!.y!.grid = { color: withAlpha(p.grid, 0.35) };
    Object.assign(chart.options.plugins!.tooltip!, tooltipColors(p));
  };
  paint(palette);
  chart.update('none');
  return { chart, paint };
}

function utcDay(isoDay: string): number {
  const [y, m, d] = isoDay.split('-').map(Number);
  return Date.UTC(y!, m! - 1, d!);
}

function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Stars over time. The x axis is linear in days (not categories) so that unevenly spaced samples, as
 * star-history sampling produces, keep their true spacing without a date adapter.
 */
export function starHistoryChart(canvas: HTMLCanvasElement, points: { date: string; stars: number }[], palette: Palette): Painted {
  const data = points.map((p) => ({ x: utcDay(p.date), y: p.stars }));
  const config: ChartConfiguration<'line', { x: number; y: number }[]> = {
    type: 'line',
    data: {
      datasets: [
        {
          label: 'Stars',
          data,
          ...LINE_STYLE,
          borderWidth: 2,
          pointRadius: data.length === 1 ? 3 : 0,
        },
      ],
    },
    options: {
      ...BASE_OPTIONS,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      scales: {
        x: {
          type: 'linear',
          // The data's own ends, not rounded "nice" bounds that would run past today.
          min: data[0]?.x,
          max: data.at(-1)?.x,
          grid: { display: false },
          border: { display: false },
          ticks: { maxRotation: 0, maxTicksLimit: 6, callback: (v) => formatDay(dayOf(Number(v)), true) },
        },
        y: {
          type: 'linear',
          beginAtZero: true,
          border: { display: false },
          ticks: { maxTicksLimit: 5, callback: (v) => formatCount(Number(v)) },
        },
      },
      plugins: {
        tooltip: {
          displayColors: false,
          callbacks: {
            title: (items) => formatDay(dayOf(Number(items[0]?.parsed.x ?? 0)), true),
            label: (item) => `${formatCount(Number(item.parsed.y))} stars`,
          },
        },
      },
    },
  };
  const chart = new Chart(canvas, config);
  const paint = (p: Palette): void => {
    const color = p.series.yellow;
    const dataset = chart.data.datasets[0]!;
    dataset.borderColor = color;
    dataset.backgroundColor = withAlpha(color, p.kind.startsWith('high-contrast') ? 0 : 0.16);
    dataset.pointBackgroundColor = color;
    chart.options.scales!.y!.grid = { color: withAlpha(p.grid, 0.35) };
    Object.assign(chart.options.plugins!.tooltip!, tooltipColors(p));
  };
  paint(palette);
  chart.update('none');
  return { chart, paint };
}
