/**
 * The data behind a chart as CSV (RFC 4180): a header row, then one row per point; numbers as plain
 * digits (no thousands separators, a dot for decimals) so spreadsheets and scripts read them back exactly,
 * days as YYYY-MM-DD, empty cells for gaps.
 */
import type { TableCell } from '../engine/artifacts';

export type Cell = string | number | null;

export interface Table {
  header: string[];
  rows: Cell[][];
}

function cell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return '';
    return String(value);
  }
  // Quoted when it holds a separator, a quote or a line break; a leading = + - @ could run as a formula in a spreadsheet.
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(table: Table): string {
  return [table.header, ...table.rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** A table artifact as CSV's table: its columns (numbered when it has none), true and false as words. */
export function artifactCsvTable(columns: readonly string[] | undefined, rows: readonly (readonly TableCell[])[]): Table {
  const width = columns?.length ?? rows.reduce((n, r) => Math.max(n, r.length), 0);
  return {
    header: columns ? [...columns] : Array.from({ length: width }, (_, i) => `column ${i + 1}`),
    rows: rows.map((r) => r.map((c) => (typeof c === 'boolean' ? String(c) : c))),
  };
}

/** A file name for a chart's export: `star-history-acme-alpha.csv`. */
export function exportName(base: string, extension: 'png' | 'csv'): string {
  const slug = base
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 90);
  return `${slug || 'chart'}.${extension}`;
}
