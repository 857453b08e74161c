/**
 * Artifacts as the webview shows them: a chart card (PNG and CSV like every chart), a sanitised
 * markdown document, a paged table, a link opened through the host. `renderArtifact` draws one and is
 * what any view of artifacts uses (the dashboard's sections here, a run's details in ./runDetails);
 * `renderArtifactSections` is the dashboard's section per flow.
 */
import { artifactChart, artifactChartTable } from './artifactChart';
import { chartCard, csvActions, csvButtons, type ExportContext } from './chartCard';
import { artifactCsvTable } from './csv';
import { ChartGroup } from './chartSetup';
import { h, separator } from './dom';
import { formatInteger, formatWhen } from './format';
import { progressText } from '../engine/artifacts';
import { TABLE_PAGE_ROWS, type ArtifactToHost, type ArtifactView } from './artifactMessages';
import type { FlowArtifactsView, TableCell } from './protocol';
import type { Drawn } from './render';

export interface ArtifactContext extends ExportContext {
  post(message: ArtifactToHost): void;
  tables: TablePages;
  /** Markdown to sanitised HTML (./markdown.ts, made with the page's window). */
  markdown(text: string): string;
}

type PageListener = (offset: number, rows: TableCell[][], total: number) => void;

/** Routes pages of table rows from the host to the table that asked for them. */
export class TablePages {
  private readonly listeners = new Map<string, PageListener>();

  listen(runId: string, key: string, listener: PageListener): void {
    this.listeners.set(`${runId}/${key}`, listener);
  }

  receive(runId: string, key: string, offset: number, rows: TableCell[][], total: number): void {
    this.listeners.get(`${runId}/${key}`)?.(offset, rows, total);
  }

  /** Tables of a redrawn section no longer listen. */
  clear(): void {
    this.listeners.clear();
  }
}

function cellText(cell: TableCell): string {
  if (cell === null) return '';
  return typeof cell === 'number' ? cell.toLocaleString(undefined, { maximumFractionDigits: 6 }) : String(cell);
}

function tableBody(rows: readonly TableCell[][]): HTMLElement {
  return h('tbody', null, rows.map((row) => h('tr', null, row.map((c) => h('td', typeof c === 'number' ? { class: 'num' } : null, cellText(c))))));
}

function artifactTable(ctx: ArtifactContext, view: ArtifactView & { data: { kind: 'table' } }): HTMLElement {
  const { columns } = view.data;
  let total = view.totalRows ?? view.data.rows.length;
  let offset = 0;
  const body = h('div', { class: 'table-scroll' });
  const status = h('span', { class: 'muted table-status' });
  const prev = h('button', { class: 'link-button', attrs: { 'aria-label': 'Previous rows' }, onClick: () => ask(offset - TABLE_PAGE_ROWS) }, '‹ Previous');
  const next = h('button', { class: 'link-button', attrs: { 'aria-label': 'Next rows' }, onClick: () => ask(offset + TABLE_PAGE_ROWS) }, 'Next ›');
  const show = (at: number, rows: readonly TableCell[][]): void => {
    offset = at;
    const head = columns ? h('thead', null, h('tr', null, columns.map((c) => h('th', null, c)))) : null;
    body.replaceChildren(h('table', { class: 'data-table' }, head, tableBody(rows)));
    status.textContent = total === 0 ? 'No rows' : `Rows ${formatInteger(at + 1)}–${formatInteger(at + rows.length)} of ${formatInteger(total)}`;
    prev.disabled = at === 0;
    next.disabled = at + rows.length >= total;
  };
  const ask = (at: number): void => {
    if (at < 0 || at >= total) return;
    status.textContent = 'Loading…';
    ctx.post({ type: 'tableRows', runId: view.runId, key: view.key, offset: at });
  };
  ctx.tables.listen(view.runId, view.key, (at, rows, all) => {
    total = all;
    show(at, rows);
  });
  show(0, view.data.rows);
  const pager = total > TABLE_PAGE_ROWS ? h('span', { class: 'table-pager' }, prev, status, next) : status;
  // A table the webview holds whole exports as CSV here, like the built-ins' tables; a longer one, every row of it, from the host.
  const what = `the table ${view.key}`;
  const csv =
    total <= view.data.rows.length
      ? csvActions(ctx, { name: view.key, table: () => artifactCsvTable(columns, view.data.rows) }, what)
      : csvButtons(what, {
          copy: () => ctx.request({ type: 'exportTable', runId: view.runId, key: view.key, to: 'clipboard' }),
          save: () => ctx.request({ type: 'exportTable', runId: view.runId, key: view.key, to: 'file' }),
        });
  return h('div', { class: 'artifact-table' }, body, h('div', { class: 'table-pager' }, pager, csv));
}

function artifactTitle(view: ArtifactView): HTMLElement {
  return h('span', { class: 'artifact-title' }, h('strong', null, view.key), separator(), h('span', { class: 'muted', title: `Created by run ${view.runName}` }, `${view.runName} · ${formatWhen(view.ts)}`));
}

/** One artifact; charts are made when mounted (chart.js measures its container). */
export function renderArtifact(ctx: ArtifactContext, view: ArtifactView): Drawn {
  const { data } = view;
  const plain = (body: HTMLElement): Drawn => ({
    element: h('div', { class: `artifact artifact-${data.kind}`, attrs: { 'data-artifact-key': view.key } }, h('div', { class: 'chart-title' }, artifactTitle(view)), body),
    mount: () => new ChartGroup(),
  });
  switch (data.kind) {
    case 'chart': {
      const canvas = h('canvas', { attrs: { role: 'img', 'aria-label': `${data.chart.kind} chart ${view.key}: ${data.chart.series.map((s) => s.name).join(', ')}` } });
      const card = chartCard(ctx, { title: artifactTitle(view), canvas, what: `the chart ${view.key}`, csv: { name: view.key, table: () => artifactChartTable(data.chart) }, extraClass: 'artifact artifact-chart' });
      card.setAttribute('data-artifact-key', view.key);
      return {
        element: card,
        mount: (palette) => {
          const group = new ChartGroup();
          group.add(artifactChart(canvas, data.chart, palette));
          return group;
        },
      };
    }
    case 'markdown': {
      const doc = h('div', { class: 'markdown-body' });
      // Sanitised by DOMPurify (./markdown.ts); the CSP forbids inline scripts and handlers besides.
      doc.innerHTML = ctx.markdown(data.markdown);
      doc.addEventListener('click', (event) => {
        const link = event.target instanceof Element ? event.target.closest('a') : null;
        if (!link) return;
        const href = link.getAttribute('href') ?? '';
        if (href.startsWith('#')) return;
        event.preventDefault();
        if (/^https?:/i.test(href)) ctx.post({ type: 'openLink', url: href });
      });
      return plain(doc);
    }
    case 'table':
      return plain(artifactTable(ctx, { ...view, data }));
    case 'link':
      return plain(
        h(
          'p',
          null,
          h('button', { class: 'link-button artifact-link', title: data.url, onClick: () => ctx.post({ type: 'openLink', url: data.url }) }, data.label ?? data.url),
          data.label ? h('span', { class: 'muted' }, ` ${data.url}`) : null,
        ),
      );
    case 'progress': {
      const figure = progressText(data.progress);
      return plain(
        h(
          'div',
          { class: 'progress-body' },
          h('div', { class: 'progress-line' }, h('progress', { attrs: { max: '100', value: String(data.progress), 'aria-label': `${view.key}: ${figure}` } }), h('span', { class: 'progress-figure' }, figure)),
          data.description ? h('p', { class: 'progress-description' }, data.description) : null,
        ),
      );
    }
  }
}

/** The dashboard's section of one flow's artifacts. */
function flowSection(ctx: ArtifactContext, flow: FlowArtifactsView): Drawn {
  const drawn = flow.artifacts.map((a) => renderArtifact(ctx, a));
  const element = h(
    'section',
    { class: 'card artifacts', attrs: { 'data-flow': flow.flowName } },
    h('header', { class: 'section-header' }, h('h2', { class: 'section-title' }, 'Artifacts', separator(), h('span', null, flow.flowName))),
    h('div', { class: 'artifact-grid' }, drawn.map((d) => d.element)),
  );
  return {
    element,
    mount: (palette) => {
      const group = new ChartGroup();
      for (const d of drawn) group.adopt(d.mount(palette));
      return group;
    },
  };
}

export function renderArtifactSections(ctx: ArtifactContext, flows: readonly FlowArtifactsView[]): Drawn | undefined {
  ctx.tables.clear();
  if (flows.length === 0) return undefined;
  const sections = flows.map((f) => flowSection(ctx, f));
  return {
    element: h('div', { class: 'artifact-sections' }, sections.map((s) => s.element)),
    mount: (palette) => {
      const group = new ChartGroup();
      for (const s of sections) group.adopt(s.mount(palette));
      return group;
    },
  };
}
