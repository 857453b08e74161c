/**
 * Text for numbers, dates, durations and metric names. Pure (no DOM), so tests run it under node.
 */

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const oneDecimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

export function formatInteger(value: number): string {
  return integer.format(value);
}

/** Below 10,000 every digit matters to a reader; above, "12.3K" reads faster on a card. */
export function formatCount(value: number): string {
  return Math.abs(value) < 10_000 ? integer.format(value) : compact.format(value);
}

export function formatDelta(delta: number): { text: string; trend: 'up' | 'down' | 'flat' } {
  if (delta === 0) return { text: '±0', trend: 'flat' };
  // U+2212 MINUS SIGN lines up with the plus sign in proportional fonts, unlike a hyphen.
  return delta > 0 ? { text: `+${formatInteger(delta)}`, trend: 'up' } : { text: `\u2212${formatInteger(-delta)}`, trend: 'down' };
}

/** `125` → `2:05`; YouTube's averageViewDuration is in seconds. */
export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  const sign = s < 0 ? '-' : '';
  const abs = Math.abs(s);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const rest = String(abs % 60).padStart(2, '0');
  return h > 0 ? `${sign}${h}:${String(m).padStart(2, '0')}:${rest}` : `${sign}${m}:${rest}`;
}

/** Durations as every other Flowdeck text says them (the Runs view, logs, the CLI): one run's reads the same everywhere. */
export { formatDuration } from '../engine/durationText';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * One formatter for every tick of an axis: below 10,000 all digits ("9,500"), from there all compact
 * ("9.5K", "12K"), so an axis never mixes the two. Tooltips use formatInteger for the exact figure.
 */
export function axisFormatter(ticks: readonly number[]): (value: number) => string {
  const largest = Math.max(0, ...ticks.map((t) => Math.abs(t)).filter(Number.isFinite));
  return largest < 10_000 ? formatInteger : (value) => compact.format(value);
}

/** The change from `previous` to `current` in percent, as the cards show it: `▲ 12 %`, `▼ 3.4 %`; null when there is nothing to compare with. */
export function formatChange(current: number, previous: number | undefined): { text: string; trend: 'up' | 'down' | 'flat' } | null {
  if (previous === undefined || previous === 0 || !Number.isFinite(previous)) return null;
  const percent = ((current - previous) / Math.abs(previous)) * 100;
  const magnitude = Math.abs(percent);
  const shown = magnitude < 10 ? oneDecimal.format(magnitude) : integer.format(magnitude);
  if (/^0([.,]0)?$/.test(shown)) return { text: '±0 %', trend: 'flat' };
  return { text: `${percent > 0 ? '▲' : '▼'} ${shown} %`, trend: percent > 0 ? 'up' : 'down' };
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `2024-06-04` → `Tue, Jun 4, 2024`: the weekday matters when reading daily figures. */
export function formatDayWithWeekday(isoDay: string): string {
  const [y, m, d] = isoDay.split('-').map(Number);
  if (!y || !m || !d) return isoDay;
  return `${WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]}, ${formatDay(isoDay, true)}`;
}

/** `2024-06-04` → `Jun 4`; with `withYear`, `Jun 4, 2024`. Text, not Date: the day must not shift by time zone. */
export function formatDay(isoDay: string, withYear = false): string {
  const [y, m, d] = isoDay.split('-').map(Number);
  if (!y || !m || !d) return isoDay;
  return withYear ? `${MONTHS[m - 1]} ${d}, ${y}` : `${MONTHS[m - 1]} ${d}`;
}

/** Epoch ms → `14:03` today, `Jun 4 14:03` otherwise. */
export function formatWhen(ms: number, now = Date.now()): string {
  const date = new Date(ms);
  const time = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  const today = new Date(now);
  const sameDay =
    date.getFullYear() === today.getFullYear() && date.getMonth() === today.getMonth() && date.getDate() === today.getDate();
  return sameDay ? time : `${MONTHS[date.getMonth()]} ${date.getDate()} ${time}`;
}

/** The chart colours VS Code's theme defines (`--vscode-charts-*`). */
export type SeriesColor = 'blue' | 'green' | 'red' | 'orange' | 'purple' | 'yellow' | 'cyan' | 'magenta';

export interface MetricInfo {
  label: string;
  /** How a value of this metric reads. */
  format: (value: number) => string;
  /** Theme colour variable the series uses (see theme.ts). */
  color: SeriesColor;
}

const METRICS: Record<string, MetricInfo> = {
  views: { label: 'Views', format: formatInteger, color: 'blue' },
  estimatedMinutesWatched: { label: 'Minutes watched', format: formatInteger, color: 'purple' },
  averageViewDuration: { label: 'Avg. view duration', format: formatSeconds, color: 'yellow' },
  likes: { label: 'Likes', format: formatInteger, color: 'orange' },
  subscribersGained: { label: 'Subscribers gained', format: formatInteger, color: 'green' },
  subscribersLost: { label: 'Subscribers lost', format: formatInteger, color: 'red' },
  netSubscribers: { label: 'Net subscribers', format: formatInteger, color: 'cyan' },
  comments: { label: 'Comments', format: formatInteger, color: 'magenta' },
  // The themes define eight chart colours; shares, asked for rarely, shares blue with views.
  shares: { label: 'Shares', format: formatInteger, color: 'blue' },
};

/** Known metrics get a label and unit; others (a flow asked for more) still chart under their own name. */
export function metricInfo(metric: string): MetricInfo {
  return METRICS[metric] ?? { label: metric.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase()), format: formatInteger, color: 'blue' };
}
