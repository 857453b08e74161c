/**
 * A chart in a card with its export actions: Save as PNG (the canvas on the theme's background), Copy as
 * CSV and Save as CSV (the data behind it). The files are written by the host, which asks where.
 */
import { chartPng } from './chartSetup';
import { exportName, toCsv, type Table } from './csv';
import { h, type Child } from './dom';
import type { ExportToHost } from './artifactMessages';
import type { WebviewToHost } from './protocol';

/** A request without its number: the webview adds one, and shows the reply. */
export type WithoutReq<M> = M extends { req: number } ? Omit<M, 'req'> : never;
/** A request of the dashboard's to the host. */
export type HostRequest = WithoutReq<WebviewToHost>;

export interface ExportContext {
  request(message: WithoutReq<ExportToHost>): void;
  /** The editor background, painted behind a saved chart. */
  background(): string;
}

export interface CsvExport {
  /** File name without extension: `star-history-acme-alpha`. */
  name: string;
  table: () => Table;
}

/** The CSV buttons alone, for a table (top videos, the days of a range). */
export function csvActions(ctx: ExportContext, data: CsvExport, what: string): HTMLElement {
  return csvButtons(what, {
    copy: () => ctx.request({ type: 'copyText', text: toCsv(data.table()) }),
    save: () => ctx.request({ type: 'saveFile', format: 'csv', name: exportName(data.name, 'csv'), data: toCsv(data.table()) }),
  });
}

/** Copy CSV and Save CSV, doing what they are given: a table the webview holds only a page of asks the host. */
export function csvButtons(what: string, on: { copy: () => void; save: () => void }): HTMLElement {
  return h(
    'span',
    { class: 'export-actions' },
    h('button', { class: 'link-button', title: `Copy ${what} as CSV`, attrs: { 'aria-label': 'Copy as CSV' }, onClick: on.copy }, 'Copy CSV'),
    h('button', { class: 'link-button', title: `Save ${what} as a CSV file`, attrs: { 'aria-label': 'Save as CSV' }, onClick: on.save }, 'Save CSV'),
  );
}

export interface ChartCardSpec {
  title: Child;
  /** Right of the title: a range, a toggle. */
  detail?: Child | Child[];
  canvas: HTMLCanvasElement | null;
  /** Shown instead of a chart when there is no canvas. */
  empty?: string;
  size?: 'normal' | 'tall';
  csv: CsvExport;
  /** What the chart shows, for button titles: "the star history". */
  what: string;
  extraClass?: string;
}

export function chartCard(ctx: ExportContext, spec: ChartCardSpec): HTMLElement {
  const { canvas } = spec;
  const png = canvas
    ? h(
        'button',
        {
          class: 'link-button',
          title: `Save ${spec.what} as a PNG image`,
          attrs: { 'aria-label': 'Save as PNG' },
          onClick: () => ctx.request({ type: 'saveFile', format: 'png', name: exportName(spec.csv.name, 'png'), data: chartPng(canvas, ctx.background()) }),
        },
        'PNG',
      )
    : null;
  return h(
    'div',
    { class: `chart-card${spec.extraClass ? ` ${spec.extraClass}` : ''}` },
    h('div', { class: 'chart-title' }, h('span', { class: 'chart-name' }, spec.title), h('span', { class: 'chart-tools' }, spec.detail ?? null, canvas ? h('span', { class: 'export-actions' }, png, csvActions(ctx, spec.csv, spec.what)) : null)),
    canvas ? h('div', { class: `chart-box${spec.size === 'tall' ? ' tall' : ''}` }, canvas) : h('p', { class: 'muted empty-chart' }, spec.empty ?? 'Nothing to chart.'),
  );
}
