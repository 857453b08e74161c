/**
 * The run's artifacts in its details panel, drawn by ../renderArtifacts exactly as the dashboard draws
 * them (charts with their exports, sanitised markdown, paged tables, links through the host). The section
 * is absent while the run has none, and redrawn only when what the host sent changed.
 */
import type { ArtifactView } from '../artifactMessages';
import { ChartGroup } from '../chartSetup';
import { h } from '../dom';
import { markdownRenderer } from '../markdown';
import { renderArtifact, TablePages, type ArtifactContext } from '../renderArtifacts';
import type { Palette } from '../theme';
import type { TableCell } from '../protocol';

export class RunArtifactsView {
  readonly element: HTMLElement;
  private readonly grid = h('div', { class: 'artifact-grid' });
  private readonly tables = new TablePages();
  private readonly ctx: ArtifactContext;
  private group = new ChartGroup();
  private key = '';

  constructor(
    host: Pick<ArtifactContext, 'post' | 'request' | 'background'>,
    private palette: Palette,
  ) {
    this.ctx = { ...host, tables: this.tables, markdown: markdownRenderer(window) };
    this.element = h(
      'section',
      { class: 'card artifacts run-artifacts', hidden: true, attrs: { 'aria-labelledby': 'artifacts-title' } },
      h('header', { class: 'section-header' }, h('h2', { class: 'section-title', attrs: { id: 'artifacts-title' } }, 'Artifacts')),
      this.grid,
    );
  }

  show(artifacts: readonly ArtifactView[]): void {
    const key = JSON.stringify(artifacts);
    if (key === this.key) return;
    this.key = key;
    this.group.destroy();
    this.tables.clear();
    const drawn = artifacts.map((a) => renderArtifact(this.ctx, a));
    this.grid.replaceChildren(...drawn.map((d) => d.element));
    this.element.hidden = drawn.length === 0;
    this.group = new ChartGroup();
    for (const d of drawn) this.group.adopt(d.mount(this.palette));
  }

  receiveRows(runId: string, key: string, offset: number, rows: TableCell[][], total: number): void {
    this.tables.receive(runId, key, offset, rows, total);
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.group.repaint(palette);
  }
}
