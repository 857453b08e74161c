/**
 * Shape checks for Google's answers, one per call the flow makes. The generated clients hand back whatever
 * a 200 carried: the parsed JSON, or the text itself when it did not parse (a truncated answer, the HTML
 * page of a proxy or captive portal). Read as a report, such text had no `columnHeaders` and no `rows`:
 * exactly what "no data yet" looks like. Checked here, it fails the task naming what was wrong. A report
 * without `rows` stays legitimate: Google leaves the key out when there is no data.
 */
import type { SecretMasker } from '../../engine/secrets';
import { describeAnswerValue } from '../answerText';
import { YouTubeError } from './errors';

/** A `reports.query` answer: column names in the order of each row, and the rows (none when absent). */
export interface ReportAnswer {
  columns: string[];
  rows: unknown[][];
}

/** `secrets`: the flow's, masked in an answer an error quotes, before it is cut (answerText.ts). */
export function reportAnswer(data: unknown, operation: string, secrets: SecretMasker): ReportAnswer {
  const body = objectAnswer(data, operation, 'an object with columnHeaders', secrets);
  const headers = body.columnHeaders;
  if (!Array.isArray(headers)) throw wrongField(operation, 'columnHeaders', headers, 'a list of columns', secrets);
  const columns = headers.map((header: unknown, i) => {
    const name = typeof header === 'object' && header !== null ? (header as { name?: unknown }).name : undefined;
    if (typeof name !== 'string') throw wrongField(operation, `columnHeaders[${i}].name`, name, 'a column name', secrets);
    return name;
  });
  if (body.rows === undefined) return { columns, rows: [] };
  const rows = body.rows;
  if (!Array.isArray(rows)) throw wrongField(operation, 'rows', rows, 'a list of rows', secrets);
  const bad = rows.findIndex((row) => !Array.isArray(row));
  if (bad >= 0) throw wrongField(operation, `rows[${bad}]`, rows[bad], 'a row (a list of cells)', secrets);
  // A metric's cell is a number (Google sends JSON numbers); "abc" read as "no data yet", or as 0, would be a wrong figure.
  const metricColumns = columns.flatMap((name, i) => (isDimension(headers[i], name) ? [] : [i]));
  (rows as unknown[][]).forEach((row, r) => {
    for (const i of metricColumns) {
      const cell = row[i];
      if (cell === null || cell === undefined || isFigure(cell)) continue;
      throw wrongField(operation, `rows[${r}][${i}] (${columns[i]})`, cell, 'a number', secrets);
    }
  });
  return { columns, rows: rows as unknown[][] };
}

/** `day`, `video` and other dimensions hold names and days, not figures. */
function isDimension(header: unknown, name: string): boolean {
  const type = (header as { columnType?: unknown }).columnType;
  return type === 'DIMENSION' || (type === undefined && (name === 'day' || name === 'video'));
}

function isFigure(cell: unknown): boolean {
  if (typeof cell === 'number') return Number.isFinite(cell);
  return typeof cell === 'string' && cell.trim() !== '' && Number.isFinite(Number(cell));
}

/** A `channels.list` or `videos.list` answer: its items (none when absent, e.g. an account without a channel). */
export function itemsAnswer(data: unknown, operation: string, secrets: SecretMasker): Record<string, unknown>[] {
  const body = objectAnswer(data, operation, 'an object with items', secrets);
  if (body.items === undefined) return [];
  const items = body.items;
  if (!Array.isArray(items)) throw wrongField(operation, 'items', items, 'a list', secrets);
  const bad = items.findIndex((item) => typeof item !== 'object' || item === null || Array.isArray(item));
  if (bad >= 0) throw wrongField(operation, `items[${bad}]`, items[bad], 'an object', secrets);
  return items as Record<string, unknown>[];
}

/**
 * A lifetime count of `statistics` (`viewCount`, `subscriberCount`, `videoCount`), which the Data API sends as
 * a string of digits; undefined when absent. "abc" or "-5" is not YouTube's, and no figure is better than a wrong one.
 */
export function countAnswer(statistics: Record<string, unknown>, field: string, operation: string, secrets: SecretMasker): number | undefined {
  const value = statistics[field];
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw wrongField(operation, `statistics.${field}`, value, 'a count (a whole number, 0 or more)', secrets);
  }
  return Number(text);
}

const ADVICE =
  'A proxy, captive portal or gateway may have answered instead of Google: check the network (sign in to the proxy if it asks) ' +
  'and FLOWDECK_GOOGLE_API_URL if set, then run the flow again.';

function objectAnswer(data: unknown, operation: string, expected: string, secrets: SecretMasker): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new YouTubeError('unexpected-answer', `Google's answer while ${operation} was not the JSON expected (${expected}); it was ${describeAnswerValue(data, secrets)}. ${ADVICE}`);
  }
  return data as Record<string, unknown>;
}

function wrongField(operation: string, field: string, value: unknown, expected: string, secrets: SecretMasker): YouTubeError {
  return new YouTubeError('unexpected-answer', `Google's answer while ${operation} has ${field}: ${describeAnswerValue(value, secrets)}, not ${expected}. ${ADVICE}`);
}

/**
 * A report by day answers the query asked: a `day` column and one per metric (Google sends every one asked
 * for, dimensions first), each row's day a `YYYY-MM-DD` of the range. Without this check a missing column
 * read as "no data yet" (totals of 0, the run Completed) and a row dated `06/04/2024` was dropped unseen.
 */
export function checkDailyReport(answer: ReportAnswer, query: { startDate: string; endDate: string; metrics: readonly string[] }, operation: string, secrets: SecretMasker): void {
  if (answer.rows.length === 0) return;
  for (const name of ['day', ...query.metrics]) {
    if (!answer.columns.includes(name)) {
      throw new YouTubeError('unexpected-answer', `Google's answer while ${operation} has no ${name} column (its columns: ${answer.columns.join(', ')}), though the query asked for it. ${ADVICE}`);
    }
  }
  const dayColumn = answer.columns.indexOf('day');
  answer.rows.forEach((row, r) => {
    const day = row[dayColumn];
    if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day) || day < query.startDate || day > query.endDate) {
      throw wrongField(operation, `rows[${r}][${dayColumn}] (day)`, day, `a day from ${query.startDate} to ${query.endDate}`, secrets);
    }
  });
}
