/**
 * The GitHub section's charts: stars of several repositories (linear or log scale, by date or aligned by
 * first star), stars gained per day or week as bars, and the counts of every stored run over time.
 * Tooltips give exact figures; each axis keeps one number format.
 */
import type { ChartConfiguration, TooltipItem } from 'chart.js';
import { Chart, logTicks, OVER_TIME, painted, timeAxis, valueTicks, type Painted } from './chartSetup';
import { dayNumber, dayOf, type StarSeries } from './chartData';
import { withAlpha } from './color';
import { formatDay, formatDayWithWeekday, formatInteger, formatWhen, type SeriesColor } from './format';
import type { GithubSnapshot } from './protocol';
import type { Palette } from './theme';

/** The charted repository first, then the compared ones, each its own colour. */
export const REPO_COLORS: readonly SeriesColor[] = ['yellow', 'blue', 'purple', 'green', 'orange', 'red', 'cyan'];

export function repoColor(index: number): SeriesColor {
  return REPO_COLORS[index % REPO_COLORS.length]!;
}

type XY = { x: number; y: number };

export interface StarChartOptions {
  logScale: boolean;
  align: boolean;
}

export function starComparisonChart(canvas: HTMLCanvasElement, series: readonly StarSeries[], options: StarChartOptions, palette: Palette): Painted {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const dayLabel = (x: number): string => (options.align ? `Day ${formatInteger(x)}` : formatDay(dayOf(x), true));
  const config: ChartConfiguration<'line', XY[]> = {
    type: 'line',
    data: {
      datasets: series.map((s) => ({
        label: s.repo,
        // A log axis has no zero: a repository's starless start is left out rather than drawn at the bottom.
        data: options.logScale ? s.points.filter((p) => p.y > 0) : s.points,
        borderWidth: 2,
        pointRadius: s.points.length === 1 ? 3 : 0,
        pointHoverRadius: 4,
        pointHitRadius: 6,
        tension: 0,
      })),
    },
    options: {
      ...OVER_TIME,
      scales: {
        // The data's own ends, not rounded "nice" bounds that would run past today.
        x: timeAxis(xs.length > 0 ? Math.min(...xs) : undefined, xs.length > 0 ? Math.max(...xs) : undefined, 6, dayLabel, true),
        y: options.logScale
          ? { type: 'logarithmic', border: { display: false }, ticks: valueTicks(), afterBuildTicks: logTicks }
          : { type: 'linear', beginAtZero: true, border: { display: false }, ticks: { maxTicksLimit: 5, ...valueTicks() } },
      },
      plugins: {
        legend: { display: series.length > 1, position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } },
        tooltip: {
          callbacks: {
            title: (items) => (items[0] ? (options.align ? dayLabel(items[0].parsed.x ?? 0) : formatDayWithWeekday(dayOf(items[0].parsed.x ?? 0))) : ''),
            label: (item) => `${item.dataset.label}: ${formatInteger(Number(item.parsed.y))} stars`,
          },
        },
      },
    },
  };
  return painted(new Chart(canvas, config), palette, (i, p) => p.series[repoColor(i)]);
}

export function starVelocityChart(canvas: HTMLCanvasElement, buckets: readonly { start: string; stars: number }[], unit: 'day' | 'week', color: SeriesColor, palette: Palette): Painted {
  // A bar spans its day or week: centred half a bucket after its first day.
  const halfBar = unit === 'week' ? 3.5 : 0.5;
  const centre = (start: string): number => dayNumber(start) - 0.5 + halfBar;
  const config: ChartConfiguration<'bar', XY[]> = {
    type: 'bar',
    data: {
      datasets: [
        {
          label: unit === 'day' ? 'Stars per day' : 'Stars per week',
          data: buckets.map((b) => ({ x: centre(b.start), y: b.stars })),
          // Thousands of daily bars would be hairlines with gaps; they touch instead.
          barPercentage: 1,
          categoryPercentage: 1,
        },
      ],
    },
    options: {
      ...OVER_TIME,
      scales: {
        x: {
          // The buckets' own edges, with few labels (a half-width card): a bar chart's default `offset`
          // would pad by half a tick step, months on this axis.
          ...timeAxis(buckets.length > 0 ? centre(buckets[0]!.start) - halfBar : undefined, buckets.length > 0 ? centre(buckets.at(-1)!.start) + halfBar : undefined, 4, (v) => formatDay(dayOf(v), true)),
          offset: false,
        },
        y: { type: 'linear', beginAtZero: true, border: { display: false }, ticks: { maxTicksLimit: 4, ...valueTicks() } },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          displayColors: false,
          callbacks: {
            title: (items) => {
              const start = buckets[items[0]?.dataIndex ?? 0]?.start ?? '';
              return unit === 'day' ? formatDayWithWeekday(start) : `Week of ${formatDayWithWeekday(start)}`;
            },
            label: (item) => `${formatInteger(Number(item.parsed.y))} stars`,
          },
        },
      },
    },
  };
  return painted(new Chart(canvas, config), palette, (_i, p) => withAlpha(p.series[color], 0.8));
}

export const HISTORY_METRICS: readonly { key: keyof GithubSnapshot['counts']; label: string; color: SeriesColor }[] = [
  { key: 'forks', label: 'Forks', color: 'blue' },
  { key: 'watchers', label: 'Watchers', color: 'purple' },
  { key: 'openIssues', label: 'Open issues', color: 'red' },
  { key: 'openPullRequests', label: 'Open pull requests', color: 'green' },
];

/** Forks, watchers, open issues and pull requests as every stored run of the repository counted them. */
export function runHistoryChart(canvas: HTMLCanvasElement, history: readonly GithubSnapshot[], palette: Palette): Painted {
  const times = history.map((h) => Date.parse(h.fetchedAt));
  const span = Math.max(...times) - Math.min(...times);
  const config: ChartConfiguration<'line', XY[]> = {
    type: 'line',
    data: {
      datasets: HISTORY_METRICS.map(({ key, label }) => ({
        label,
        data: history.map((h, i) => ({ x: times[i]!, y: h.counts[key] })),
        borderWidth: 2,
        pointRadius: 2.5,
        pointHoverRadius: 4,
        tension: 0,
      })),
    },
    options: {
      ...OVER_TIME,
      scales: {
        // Runs an hour apart or more read by minute; closer ones need the seconds to tell the ticks apart.
        x: timeAxis(Math.min(...times), Math.max(...times), 4, (v) => (span < 3_600_000 ? new Date(v).toLocaleTimeString() : formatWhen(v))),
        y: { type: 'linear', beginAtZero: true, border: { display: false }, ticks: { maxTicksLimit: 4, ...valueTicks() } },
      },
      plugins: {
        legend: { display: true, position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } },
        tooltip: {
          callbacks: {
            title: (items: TooltipItem<'line'>[]) => (items[0] ? `Run of ${new Date(items[0].parsed.x ?? 0).toLocaleString()}` : ''),
            label: (item) => `${item.dataset.label}: ${formatInteger(Number(item.parsed.y))}`,
          },
        },
      },
    },
  };
  return painted(new Chart(canvas, config), palette, (i, p) => p.series[HISTORY_METRICS[i]!.color]);
}
