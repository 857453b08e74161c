/**
 * The YouTube section's charts: one metric per day with straight segments (a curve would overshoot,
 * below zero even), the previous period as a dashed line aligned day by day, days without data as gaps
 * marked on the axis with a note in the tooltip, and the weekday in every tooltip.
 */
import type { ChartConfiguration, TooltipItem } from 'chart.js';
import { BASE_OPTIONS, Chart, gridColor, tooltipColors, valueTicks, type Painted } from './chartSetup';
import { withAlpha } from './color';
import { formatDay, formatDayWithWeekday, type SeriesColor } from './format';
import type { Palette } from './theme';

export interface MetricChartSpec {
  /** `YYYY-MM-DD` per point. */
  dates: string[];
  values: (number | null)[];
  label: string;
  color: SeriesColor;
  /** Exact figures for tooltips; the axis picks its own format from its ticks. */
  format: (value: number) => string;
  /** Seconds and other units keep their own format on the axis too. */
  axisFormat?: (value: number) => string;
  /** The previous period, day N with day N. */
  previous?: { dates: string[]; values: (number | null)[] };
}

export const GAP_NOTE = 'No data for this day yet: YouTube reports days two to three days late';

/** A point only shows where it stands alone between gaps; otherwise the line carries it. */
function isolatedPointRadius(data: readonly (number | null)[]): (ctx: { dataIndex: number }) => number {
  return ({ dataIndex: i }) => (data[i] !== null && (i === 0 || data[i - 1] === null) && (i === data.length - 1 || data[i + 1] === null) ? 2.5 : 0);
}

/** Dataset order: the range, the previous period (when given), the gap marks. */
export function metricChart(canvas: HTMLCanvasElement, spec: MetricChartSpec, palette: Palette): Painted {
  const gaps = spec.values.map((v) => (v === null ? 0 : null));
  const hasGaps = gaps.some((g) => g !== null);
  const datasets: ChartConfiguration<'line', (number | null)[], string>['data']['datasets'] = [
    { label: spec.label, data: spec.values, fill: 'origin', tension: 0, spanGaps: false, borderWidth: 1.75, pointRadius: isolatedPointRadius(spec.values), pointHoverRadius: 4, pointHitRadius: 8 },
  ];
  if (spec.previous) {
    datasets.push({ label: 'Previous period', data: spec.previous.values, tension: 0, spanGaps: false, borderWidth: 1.25, borderDash: [5, 4], pointRadius: 0, pointHoverRadius: 3, pointHitRadius: 8 });
  }
  if (hasGaps) {
    datasets.push({ label: 'No data', data: gaps, showLine: false, pointStyle: 'line', pointRadius: 5, pointHoverRadius: 6, pointHitRadius: 8, pointBorderWidth: 2 });
  }
  const gapIndex = datasets.length - 1;
  const previousIndex = spec.previous ? 1 : -1;
  const config: ChartConfiguration<'line', (number | null)[], string> = {
    type: 'line',
    data: { labels: spec.dates, datasets },
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
        y: { type: 'linear', beginAtZero: true, border: { display: false }, ticks: { maxTicksLimit: 4, ...valueTicks(spec.axisFormat) } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => formatDayWithWeekday(spec.dates[items[0]?.dataIndex ?? 0] ?? ''),
            label: (item: TooltipItem<'line'>) => {
              if (hasGaps && item.datasetIndex === gapIndex) return GAP_NOTE;
              const value = spec.format(Number(item.raw));
              if (item.datasetIndex === previousIndex) {
                const day = spec.previous?.dates[item.dataIndex];
                return `Previous period${day ? ` (${formatDayWithWeekday(day)})` : ''}: ${value}`;
              }
              return `${spec.label}: ${value}`;
            },
          },
        },
      },
    },
  };
  const chart = new Chart(canvas, config);
  const paint = (p: Palette): void => {
    const color = p.series[spec.color];
    const [main, ...rest] = chart.data.datasets;
    main!.borderColor = color;
    main!.backgroundColor = withAlpha(color, p.kind.startsWith('high-contrast') ? 0 : 0.14);
    main!.pointBackgroundColor = color;
    main!.pointBorderColor = color;
    for (const [i, d] of rest.entries()) {
      const isGap = hasGaps && i + 1 === gapIndex;
      d.borderColor = isGap ? p.muted : withAlpha(color, 0.6);
      d.backgroundColor = isGap ? p.muted : 'transparent';
      d.pointBorderColor = isGap ? p.muted : color;
    }
    chart.options.scales!.y!.grid = gridColor(p);
    Object.assign(chart.options.plugins!.tooltip!, tooltipColors(p));
  };
  paint(palette);
  chart.update('none');
  return { chart, paint };
}
