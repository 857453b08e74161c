/**
 * The daily report: one `reports.query` for the whole range (paged only when the range is longer than a
 * page), then shaped into one entry per calendar day with `null` where YouTube has no row yet.
 */
import type { youtubeAnalytics_v2 } from '@googleapis/youtubeanalytics';
import type { SecretMasker } from '../../engine/secrets';
import { checkDailyReport, reportAnswer } from './answers';
import { eachDay } from './dates';
import { YouTubeError, toYouTubeError } from './errors';
import type { ReportQuery } from './parameters';
import { totalsOf } from './totals';

/** Large enough that normal ranges need one request; longer ranges are read in pages of this many days. */
export const DEFAULT_PAGE_SIZE = 1000;

/** The answer's table as Google sends it, pages concatenated. Plain JSON, so a task can persist it. */
export interface ReportTable {
  /** Column names in the order of each row: `day` first, then the metrics. */
  columns: string[];
  rows: (string | number | null)[][];
}

export interface FetchReportOptions {
  signal?: AbortSignal;
  pageSize?: number;
}

export async function fetchReportTable(
  analytics: youtubeAnalytics_v2.Youtubeanalytics,
  query: ReportQuery,
  /** The flow's, masked in an answer an error quotes (answers.ts). */
  secrets: SecretMasker,
  options: FetchReportOptions = {},
): Promise<ReportTable> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  // A report by day has at most a row a day: the pages end there, whatever the answers say.
  const dayTotal = eachDay(query.startDate, query.endDate).length;
  const paged = dayTotal > pageSize;
  const base = {
    ids: 'channel==MINE',
    startDate: query.startDate,
    endDate: query.endDate,
    metrics: query.metrics.join(','),
    dimensions: 'day',
    sort: 'day',
  };
  const table: ReportTable = { columns: [], rows: [] };
  for (let startIndex = 1; startIndex <= dayTotal; startIndex += pageSize) {
    const params = paged ? { ...base, startIndex, maxResults: pageSize } : base;
    let data: unknown;
    try {
      data = (await analytics.reports.query(params, options.signal ? { signal: options.signal } : {})).data;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      throw toYouTubeError(error, {
        operation: 'reading the analytics report',
        query: `metrics=${base.metrics}, ${query.startDate} to ${query.endDate}`,
      });
    }
    // Google leaves `rows` out altogether when there is no data; a body without `columnHeaders` is not Google's.
    const answer = reportAnswer(data, 'reading the analytics report', secrets);
    checkDailyReport(answer, query, 'reading the analytics report', secrets);
    if (table.columns.length === 0) table.columns = answer.columns;
    const rows = answer.rows as (string | number | null)[][];
    if (startIndex > 1 && rows.length > 0 && !(dayOf(rows[0], table.columns) > dayOf(table.rows[table.rows.length - 1], table.columns))) {
      throw new YouTubeError(
        'unexpected-answer',
        `Google's answer while reading the analytics report repeated days already read (its page from row ${startIndex} starts at ${String(dayOf(rows[0], table.columns))}): ` +
          'startIndex was not honoured. A proxy or gateway may have answered instead of Google: check FLOWDECK_GOOGLE_API_URL if set, then run the flow again.',
      );
    }
    table.rows.push(...rows);
    if (!paged || rows.length < pageSize) return table;
  }
  return table;
}

/** A row's day (its `day` column, else its first), or '' when it has none: compared as `YYYY-MM-DD` text. */
function dayOf(row: readonly (string | number | null)[] | undefined, columns: string[]): string {
  const day = row?.[Math.max(0, columns.indexOf('day'))];
  return typeof day === 'string' ? day : '';
}

export interface DayFigures {
  /** YYYY-MM-DD. */
  date: string;
  /** One key per metric: the figure as returned, or null when YouTube has no row for the day (yet). */
  [metric: string]: string | number | null;
}

export interface ShapedReport {
  days: DayFigures[];
  totals: Record<string, number>;
}

/**
 * One entry per day of the query's range, in order, whatever rows Google returned; totals over the days
 * with data (totals.ts: averages and rates are means weighted by views). When both subscribersGained and
 * subscribersLost are asked for, `netSubscribers` (gained − lost) is added to each day and the totals.
 */
export function shapeReport(table: ReportTable, query: ReportQuery): ShapedReport {
  const dayColumn = table.columns.indexOf('day');
  const metricColumns = query.metrics.map((m) => table.columns.indexOf(m));
  const byDay = new Map<string, (string | number | null)[]>();
  for (const row of table.rows) {
    const day = row[dayColumn === -1 ? 0 : dayColumn];
    if (typeof day === 'string') byDay.set(day, row);
  }
  const days = eachDay(query.startDate, query.endDate).map((date) => {
    const row = byDay.get(date);
    const entry: DayFigures = { date };
    query.metrics.forEach((metric, i) => {
      const column = metricColumns[i] ?? -1;
      entry[metric] = row && column !== -1 ? figure(row[column]) : null;
    });
    return entry;
  });
  const report = { days, totals: totalsOf(days, query.metrics) };
  if (query.metrics.includes('subscribersGained') && query.metrics.includes('subscribersLost')) addNetSubscribers(report);
  return report;
}

/** `netSubscribers` = gained − lost, per day (null when either is) and in the totals. */
function addNetSubscribers(report: ShapedReport): void {
  for (const day of report.days) {
    const gained = day.subscribersGained;
    const lost = day.subscribersLost;
    day.netSubscribers = typeof gained === 'number' && typeof lost === 'number' ? gained - lost : null;
  }
  report.totals.netSubscribers = (report.totals.subscribersGained ?? 0) - (report.totals.subscribersLost ?? 0);
}

function figure(value: string | number | null | undefined): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return null;
}

/** `estimatedMinutesWatched` → `Estimated Minutes Watched`. */
export function metricLabel(metric: string): string {
  const words = metric.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** `Day: 2017-01-01, Estimated Minutes Watched: 0, Views: 0, Likes: 0, Subscribers Gained: 0`, as in Prefect's example. */
export function formatDayLine(day: DayFigures, metrics: string[]): string {
  const figures = metrics.map((m) => `${metricLabel(m)}: ${day[m] === null ? 'no data yet' : String(day[m])}`);
  return [`Day: ${day.date}`, ...figures].join(', ');
}

export function formatTotalsLine(report: ShapedReport, query: ReportQuery, label = 'Totals'): string {
  const withData = report.days.filter((d) => query.metrics.some((m) => d[m] !== null)).length;
  const figures = query.metrics.map((m) => `${metricLabel(m)}: ${report.totals[m] ?? 0}`);
  if (report.totals.netSubscribers !== undefined) figures.push(`Net Subscribers: ${report.totals.netSubscribers}`);
  return `${label} ${query.startDate} to ${query.endDate} (${withData} of ${report.days.length} days with data): ${figures.join(', ')}`;
}
