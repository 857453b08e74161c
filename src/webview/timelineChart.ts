/**
 * GitHub and YouTube on one date axis: stars of the chosen repositories on the left axis, the channel's
 * daily views on the right, releases as triangles on their repository's line and video publications as
 * diamonds on the views line.
 */
import type { ChartConfiguration, ChartDataset, TooltipItem } from 'chart.js';
import { Chart, OVER_TIME, painted, timeAxis, valueTicks, type Painted } from './chartSetup';
import { dayOf, type Timeline } from './chartData';
import { formatDay, formatDayWithWeekday, formatInteger } from './format';
import { repoColor } from './starCharts';
import type { Palette } from './theme';

type XY = { x: number; y: number | null };
type Role = 'stars' | 'views' | 'releases' | 'videos';

export function timelineChart(canvas: HTMLCanvasElement, data: Timeline, palette: Palette): Painted {
  const roles: Role[] = [];
  const labels: string[][] = [];
  const datasets: ChartDataset<'line', XY[]>[] = [];
  for (const s of data.stars) {
    roles.push('stars');
    labels.push([]);
    datasets.push({ label: `${s.repo} stars`, data: s.points, yAxisID: 'stars', borderWidth: 2, pointRadius: 0, pointHoverRadius: 3, tension: 0 });
  }
  if (data.views.length > 0) {
    roles.push('views');
    labels.push([]);
    datasets.push({ label: 'Views', data: data.views, yAxisID: 'views', borderWidth: 1.5, pointRadius: 0, pointHoverRadius: 3, tension: 0, spanGaps: false });
  }
  if (data.releases.length > 0) {
    roles.push('releases');
    labels.push(data.releases.map((r) => r.label));
    datasets.push({ label: 'Releases', data: data.releases.map(({ x, y }) => ({ x, y })), yAxisID: 'stars', showLine: false, pointStyle: 'triangle', pointRadius: 6, pointHoverRadius: 8 });
  }
  if (data.videos.length > 0) {
    roles.push('videos');
    labels.push(data.videos.map((v) => v.label));
    datasets.push({ label: 'Videos published', data: data.videos.map(({ x, y }) => ({ x, y })), yAxisID: 'views', showLine: false, pointStyle: 'rectRot', pointRadius: 6, pointHoverRadius: 8 });
  }
  const config: ChartConfiguration<'line', XY[]> = {
    type: 'line',
    data: { datasets },
    options: {
      ...OVER_TIME,
      scales: {
        x: timeAxis(data.min, data.max, 7, (v) => formatDay(dayOf(v), true)),
        stars: {
          type: 'linear',
          position: 'left',
          display: data.stars.length > 0,
          title: { display: true, text: 'Stars' },
          border: { display: false },
          ticks: { maxTicksLimit: 5, ...valueTicks() },
        },
        views: {
          type: 'linear',
          position: 'right',
          display: data.views.length > 0,
          beginAtZero: true,
          title: { display: true, text: 'Views per day' },
          border: { display: false },
          grid: { drawOnChartArea: false },
          ticks: { maxTicksLimit: 5, ...valueTicks() },
        },
      },
      plugins: {
        legend: { display: true, position: 'bottom', labels: { usePointStyle: true, boxWidth: 10, boxHeight: 10 } },
        tooltip: {
          callbacks: {
            title: (items) => formatDayWithWeekday(dayOf(items[0]?.parsed.x ?? 0)),
            label: (item: TooltipItem<'line'>) => {
              const role = roles[item.datasetIndex];
              const y = item.parsed.y;
              if (role === 'releases') return `Release ${labels[item.datasetIndex]![item.dataIndex]}`;
              if (role === 'videos') return `Published: ${labels[item.datasetIndex]![item.dataIndex]}`;
              if (y === null || y === undefined) return `${item.dataset.label}: no data`;
              return `${item.dataset.label}: ${formatInteger(y)}`;
            },
          },
        },
      },
    },
  };
  // Repositories keep the colours they have on the star-history chart; views and publications share one.
  const colorOf = (i: number, p: Palette): string => (roles[i] === 'stars' ? p.series[repoColor(i)] : roles[i] === 'releases' ? p.foreground : p.series.magenta);
  return painted(new Chart(canvas, config), palette, colorOf, 'stars');
}
