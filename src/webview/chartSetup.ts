/**
 * chart.js as the dashboard uses it: only the parts its charts need are registered (`chart.js/auto`
 * would bring every controller, element and scale), shared options, one number format per axis, and
 * recolouring in place on a theme change (each chart keeps a `paint` function) instead of a rebuild.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type Scale,
  type Tick,
} from 'chart.js';
import { withAlpha } from './color';
import { axisFormatter } from './format';
import type { Palette } from './theme';

Chart.register(LineController, BarController, LineElement, PointElement, BarElement, CategoryScale, LinearScale, LogarithmicScale, Tooltip, Legend, Filler);

export { Chart };

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

  /** Takes over another group's charts (a section made of parts). */
  adopt(other: ChartGroup): void {
    this.charts.push(...other.charts);
    other.charts = [];
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

/** Charts fill their card and redraw without animation (a stream of updates would never settle). */
export const BASE_OPTIONS = { responsive: true, maintainAspectRatio: false, animation: false } as const;

/** Charts over time: the tooltip follows the pointer along x, to the nearest point of each line. */
export const OVER_TIME = { ...BASE_OPTIONS, interaction: { mode: 'nearest', axis: 'x', intersect: false } } as const;

/**
 * A time axis in numbers (days or epoch ms, labelled by `label`) spanning exactly `min`–`max`: no grid, no
 * border, level labels. `ends` labels the first and last day too, which a wide chart has room for; in a
 * narrow one they would run into their neighbours.
 */
export function timeAxis(min: number | undefined, max: number | undefined, maxTicksLimit: number, label: (value: number) => string, ends = false) {
  return {
    type: 'linear' as const,
    min,
    max,
    grid: { display: false },
    border: { display: false },
    ticks: { maxRotation: 0, maxTicksLimit, includeBounds: ends, callback: (value: number | string) => label(Number(value)) },
  };
}

export function tooltipColors(palette: Palette): Record<string, string | number> {
  return {
    backgroundColor: palette.background,
    titleColor: palette.foreground,
    bodyColor: palette.foreground,
    borderColor: palette.grid,
    borderWidth: 1,
  };
}

/** Value ticks in one format for the whole axis (all "12,000" or all "12K"), chosen by its largest tick. */
export function valueTicks(format?: (value: number) => string): { callback: (value: number | string, index: number, ticks: Tick[]) => string } {
  return {
    callback: (value, _index, ticks) => {
      const n = Number(value);
      return format ? format(n) : axisFormatter(ticks.map((t) => t.value))(n);
    },
  };
}

export function gridColor(p: Palette): { color: string } {
  return { color: withAlpha(p.grid, 0.35) };
}

/** The part of a chart `paintDatasets` recolours. */
interface Colourable {
  data: { datasets: { borderColor?: unknown; backgroundColor?: unknown; pointBackgroundColor?: unknown; pointBorderColor?: unknown }[] };
  options: { scales?: Record<string, { grid?: unknown } | undefined>; plugins?: { tooltip?: object } };
}

/**
 * A chart whose datasets each take one solid colour (`colorOf(index)`), its value grid on `gridAxis`
 * and the theme's tooltip: built, painted, and returned with how to paint it again.
 */
export function painted(chart: Colourable & Painted['chart'], palette: Palette, colorOf: (index: number, p: Palette) => string, gridAxis = 'y'): Painted {
  const paint = (p: Palette): void => {
    chart.data.datasets.forEach((dataset, i) => {
      const color = colorOf(i, p);
      dataset.borderColor = color;
      dataset.backgroundColor = color;
      dataset.pointBackgroundColor = color;
      dataset.pointBorderColor = color;
    });
    const axis = chart.options.scales?.[gridAxis];
    if (axis) axis.grid = gridColor(p);
    if (chart.options.plugins?.tooltip) Object.assign(chart.options.plugins.tooltip, tooltipColors(p));
  };
  paint(palette);
  chart.update('none');
  return { chart, paint };
}

/** Log axes label only 1, 2 and 5 times a power of ten, so labels don't pile up at the top of a decade. */
export function logTicks(scale: Scale): void {
  scale.ticks = scale.ticks.filter((t) => {
    const lead = t.value / 10 ** Math.floor(Math.log10(t.value));
    return [1, 2, 5].some((n) => Math.abs(lead - n) < 1e-9);
  });
}

/**
 * The chart as a PNG data: URL on the theme's background: chart.js leaves the canvas transparent, which
 * a file viewer would show white behind light (dark-theme) text.
 */
export function chartPng(canvas: HTMLCanvasElement, background: string): string {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const ctx = copy.getContext('2d');
  if (!ctx) throw new Error('this webview cannot draw on a canvas');
  ctx.fillStyle = background;
  ctx.fillRect(0, 0, copy.width, copy.height);
  ctx.drawImage(canvas, 0, 0);
  return copy.toDataURL('image/png');
}
