/**
 * Artifacts: the markdown, tables, links, charts and progress a flow or task run puts on the dashboard. Each is
 * kept in its run's journal under a key; a later artifact of the same key in the same run replaces the
 * earlier, and the dashboard shows the latest of each key per flow.
 *
 * One check (`artifactProblem`) guards both ends: what a flow hands over (built here from the user's
 * input, with errors that name the artifact) and what is read back from a journal (anything malformed
 * or over the limits is skipped like a torn line). The limits keep a journal line, the run index and the
 * dashboard's messages small; README "Artifacts" lists them.
 */

import { UnshowableCell, tableCell, type TableCell } from './tableCell';
import type { ChartArtifactInput, TableRowInput } from './types';
import { shareErrorClass } from './sharedErrorClass';

export type { ChartArtifactInput, TableCell, TableRowInput };

/** Keys: lower-case letters, digits and dashes, so they read the same in a URL, a file name and a shell. */
export const ARTIFACT_KEY_PATTERN = /^[a-z0-9-]{1,64}$/;

export const ARTIFACT_LIMITS = {
  keyChars: 64,
  /** Distinct keys one flow run (with its task runs) may use. */
  keysPerRun: 100,
  /** Characters (its `length`), not bytes: what the dashboard renders; the bytes stored are held by `bytes` below. */
  markdownChars: 64 * 1024,
  tableRows: 5000,
  tableColumns: 50,
  cellChars: 1000,
  chartPoints: 5000,
  chartSeries: 12,
  labelChars: 200,
  urlChars: 2048,
  /** A progress artifact's description. */
  descriptionChars: 500,
  /** The whole artifact as JSON. */
  bytes: 1024 * 1024,
} as const;


/** What a chart artifact draws, as stored: series as named lists of numbers aligned with `x`. */
export interface ChartData {
  kind: 'line' | 'bar';
  x: (string | number)[];
  series: { name: string; values: (number | null)[] }[];
  yLabel?: string;
}

export type ArtifactData =
  | { kind: 'markdown'; markdown: string }
  /** `columns` is absent for a table given as rows of cells (no header). */
  | { kind: 'table'; columns?: string[]; rows: TableCell[][] }
  | { kind: 'link'; url: string; label?: string }
  | { kind: 'chart'; chart: ChartData }
  /** How far long work is, as Prefect's progress artifact: a percentage from 0 to 100. */
  | { kind: 'progress'; progress: number; description?: string };

export type ArtifactKind = ArtifactData['kind'];

/** One artifact as the run keeps it. */
export interface Artifact {
  key: string;
  runId: string;
  /** Set when a task run created it. */
  taskRunId?: string;
  /** Epoch ms. */
  ts: number;
  data: ArtifactData;
}

export class ArtifactError extends TypeError {
  override name = 'ArtifactError';
}
shareErrorClass(ArtifactError, 'ArtifactError');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isCell = (v: unknown): v is TableCell => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const L = ARTIFACT_LIMITS;

export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `the key must be a string, got ${typeof key}`;
  if (!ARTIFACT_KEY_PATTERN.test(key)) return `the key '${key.slice(0, 80)}' must be 1-${L.keyChars} of a-z, 0-9 and -`;
  return undefined;
}

/** What is wrong with stored artifact data, or undefined when it is well-formed and within the limits. */
export function artifactProblem(data: unknown): string | undefined {
  if (!isObj(data)) return 'not an artifact';
  switch (data.kind) {
    case 'markdown':
      if (typeof data.markdown !== 'string') return 'the markdown must be a string';
      if (data.markdown.length > L.markdownChars) return `the markdown is ${data.markdown.length} characters, more than the ${L.markdownChars} allowed`;
      break;
    case 'table': {
      const { rows, columns } = data;
      if (!Array.isArray(rows)) return 'the rows must be a list';
      if (rows.length > L.tableRows) return `the table has ${rows.length} rows, more than the ${L.tableRows} allowed`;
      if (columns !== undefined && !(Array.isArray(columns) && columns.every((c) => typeof c === 'string' && c.length <= L.labelChars))) return `the columns must be names of at most ${L.labelChars} characters`;
      const width = Array.isArray(columns) ? columns.length : undefined;
      for (let i = 0; i < rows.length; i++) {
        const row: unknown = rows[i];
        if (!Array.isArray(row) || !row.every(isCell)) return `row ${i + 1} must be a list of strings, numbers, booleans or nulls`;
        if (row.length > L.tableColumns) return `row ${i + 1} has ${row.length} cells, more than the ${L.tableColumns} columns allowed`;
        if (width !== undefined && row.length !== width) return `row ${i + 1} has ${row.length} cells for ${width} columns`;
        for (const c of row) if (typeof c === 'string' && c.length > L.cellChars) return `a cell of row ${i + 1} is ${c.length} characters, more than the ${L.cellChars} allowed`;
      }
      break;
    }
    case 'link': {
      if (typeof data.url !== 'string') return 'the URL must be a string';
      const problem = urlProblem(data.url);
      if (problem) return problem;
      if (data.label !== undefined && (typeof data.label !== 'string' || data.label.length > L.labelChars)) return `the label must be a string of at most ${L.labelChars} characters`;
      break;
    }
    case 'chart': {
      const c = data.chart;
      if (!isObj(c)) return 'the chart must be an object';
      if (c.kind !== 'line' && c.kind !== 'bar') return `the chart kind must be 'line' or 'bar', got ${JSON.stringify(c.kind)}`;
      if (!Array.isArray(c.x) || !c.x.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) return 'x must be a list of numbers, dates or labels';
      const longLabel = c.x.findIndex((v) => typeof v === 'string' && v.length > L.labelChars);
      if (longLabel >= 0) return `x label ${longLabel + 1} is ${(c.x[longLabel] as string).length} characters, more than the ${L.labelChars} allowed`;
      if (c.x.length > L.chartPoints) return `x has ${c.x.length} points, more than the ${L.chartPoints} allowed`;
      if (!Array.isArray(c.series) || c.series.length === 0) return 'the chart needs at least one series';
      if (c.series.length > L.chartSeries) return `the chart has ${c.series.length} series, more than the ${L.chartSeries} allowed`;
      for (const s of c.series as unknown[]) {
        if (!isObj(s) || typeof s.name !== 'string' || !Array.isArray(s.values)) return 'each series must have a name and a list of values';
        if (s.name.length > L.labelChars) return `a series name is ${s.name.length} characters, more than the ${L.labelChars} allowed`;
        if (!s.values.every((v) => v === null || (typeof v === 'number' && Number.isFinite(v)))) return `series '${s.name}' must hold numbers (or null for a gap)`;
        if (s.values.length !== c.x.length) return `series '${s.name}' has ${s.values.length} values for ${c.x.length} x values; give one value per x`;
      }
      if (c.yLabel !== undefined && (typeof c.yLabel !== 'string' || c.yLabel.length > L.labelChars)) return `yLabel must be a string of at most ${L.labelChars} characters`;
      break;
    }
    case 'progress': {
      const problem = progressProblem(data.progress);
      if (problem) return problem;
      if (data.description !== undefined && (typeof data.description !== 'string' || data.description.length > L.descriptionChars)) return `the description must be a string of at most ${L.descriptionChars} characters`;
      break;
    }
    default:
      return `unknown artifact kind ${JSON.stringify(data.kind)}`;
  }
  const bytes = new TextEncoder().encode(JSON.stringify(data)).length;
  if (bytes > L.bytes) return `the artifact is ${bytes} bytes as JSON, more than the ${L.bytes} allowed`;
  return undefined;
}

function progressProblem(progress: unknown): string | undefined {
  if (typeof progress !== 'number' || !Number.isFinite(progress) || progress < 0 || progress > 100) {
    return `the progress must be a number from 0 to 100 (a percentage), got ${typeof progress === 'number' ? String(progress) : progress === null ? 'null' : typeof progress}`;
  }
  return undefined;
}

/** Only web links: a `javascript:`, `file:` or `command:` link must never reach a click. */
export function urlProblem(url: string): string | undefined {
  if (url.length > L.urlChars) return `the URL is ${url.length} characters, more than the ${L.urlChars} allowed`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not quoted: a link's URL may hold a token, and a quote cut short would show part of it unmasked.
    return 'the URL does not parse (give an absolute http or https URL)';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `only http and https links are allowed, got ${parsed.protocol}`;
  return undefined;
}

/** Rows of objects (columns: every key, in order of first appearance) or rows of cells. */
export function tableData(rows: unknown): ArtifactData {
  if (!Array.isArray(rows)) throw new ArtifactError(`rows must be a list of objects or a list of lists, got ${rows === null ? 'null' : typeof rows}`);
  if (rows.length > L.tableRows) throw new ArtifactError(`the table has ${rows.length} rows, more than the ${L.tableRows} allowed; keep the top rows or write a file and link it`);
  if (rows.length > 0 && rows.every(Array.isArray)) return { kind: 'table', rows: rows.map((r: unknown[], i) => r.map((v, j) => cellAt(v, i, `cell ${j + 1}`))) };
  const columns: string[] = [];
  const seen = new Set<string>();
  rows.forEach((row, i) => {
    if (!isObj(row)) throw new ArtifactError(`row ${i + 1} must be an object like the others, got ${Array.isArray(row) ? 'a list' : row === null ? 'null' : typeof row}`);
    for (const k of Object.keys(row)) {
      if (seen.has(k)) continue;
      if (columns.length >= L.tableColumns) throw new ArtifactError(`the table has more than the ${L.tableColumns} columns allowed`);
      seen.add(k);
      columns.push(k);
    }
  });
  // Own keys only: a row without `constructor` or `toString` has no such cell (`row[c]` found Object's
  // functions), and `__proto__` is a column like any other (parsed JSON can have it as an own key).
  return { kind: 'table', columns, rows: rows.map((row: Obj, i) => columns.map((c) => cellAt(Object.hasOwn(row, c) ? row[c] : undefined, i, `column ${columnName(c)}`))) };
}

/** A column's name as a message quotes it: whole when short, else its head. */
function columnName(column: string): string {
  return JSON.stringify(column.length > 40 ? `${column.slice(0, 40)}…` : column);
}

/** The cell of row `index` (from 0) at `place` (`column "total"`, `cell 3`), or an ArtifactError naming both. */
function cellAt(value: unknown, index: number, place: string): TableCell {
  try {
    return tableCell(value);
  } catch (e) {
    if (e instanceof UnshowableCell) throw new ArtifactError(`row ${index + 1}, ${place} ${e.message}`);
    throw e;
  }
}

export function chartData(input: unknown): ArtifactData {
  if (!isObj(input)) throw new ArtifactError(`the chart must be { kind, x, series }, got ${input === null ? 'null' : typeof input}`);
  const { kind, x, series, yLabel } = input;
  if (!Array.isArray(x)) throw new ArtifactError('x must be a list (numbers, dates or labels)');
  if (!isObj(series)) throw new ArtifactError('series must be an object mapping each series name to its values, e.g. { p50: [...], p95: [...] }');
  const chart: ChartData = {
    kind: kind as ChartData['kind'],
    x: x.map((v: unknown) => (v instanceof Date ? v.toISOString() : (v as string | number))),
    series: Object.entries(series).map(([name, values]) => ({ name, values: Array.isArray(values) ? values.map((v: unknown) => (v === undefined ? null : (v as number))) : (values as never) })),
  };
  if (yLabel !== undefined) chart.yLabel = yLabel as string;
  return { kind: 'chart', chart };
}

export function linkData(url: unknown, label: unknown): ArtifactData {
  if (typeof url !== 'string') throw new ArtifactError(`the URL must be a string, got ${typeof url}`);
  return label === undefined ? { kind: 'link', url } : { kind: 'link', url, label: label as string };
}

export function progressData(progress: unknown, description: unknown): ArtifactData {
  const problem = progressProblem(progress);
  if (problem) throw new ArtifactError(problem);
  if (description !== undefined && typeof description !== 'string') throw new ArtifactError(`the description must be a string, got ${description === null ? 'null' : typeof description}`);
  return description === undefined ? { kind: 'progress', progress: progress as number } : { kind: 'progress', progress: progress as number, description };
}

/** A percentage as people read it: whole between 10 and 90, else to a tenth (never 100% before it is). */
export function progressText(progress: number): string {
  if (progress >= 100) return '100%';
  if (progress >= 10 && progress <= 90) return `${Math.round(progress)}%`;
  const tenths = Math.floor(progress * 10) / 10;
  return `${Number.isInteger(tenths) ? String(tenths) : tenths.toFixed(1)}%`;
}

export function markdownData(markdown: unknown): ArtifactData {
  if (typeof markdown !== 'string') throw new ArtifactError(`the markdown must be a string, got ${markdown === null ? 'null' : typeof markdown}`);
  return { kind: 'markdown', markdown };
}

/** One line about an artifact, for lists: `12 rows × 3 columns`, `line chart: p50, p95 (30 points)`. */
export function artifactSummary(data: ArtifactData): string {
  switch (data.kind) {
    case 'markdown': {
      const first = data.markdown.split('\n').find((l) => l.trim() !== '') ?? '';
      const line = first.replace(/^#+\s*/, '').trim();
      return line.length > 60 ? `${line.slice(0, 60)}…` : line || '(empty)';
    }
    case 'table': {
      const width = data.columns?.length ?? Math.max(0, ...data.rows.map((r) => r.length));
      return `${data.rows.length} row${data.rows.length === 1 ? '' : 's'} × ${width} column${width === 1 ? '' : 's'}`;
    }
    case 'link':
      return data.label ? `${data.label} (${data.url})` : data.url;
    case 'chart':
      return `${data.chart.kind} chart: ${data.chart.series.map((s) => s.name).join(', ')} (${data.chart.x.length} points)`;
    case 'progress':
      return data.description ? `${progressText(data.progress)}: ${data.description}` : progressText(data.progress);
  }
}
