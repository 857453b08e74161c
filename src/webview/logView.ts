/**
 * The live log panel. All lines live in a LogStore; the DOM holds only the rows in view plus an
 * overscan, reused from a pool, so 100,000 lines cost the same to display as 100. Rendering is batched
 * to one pass per animation frame however many `logs` messages arrive in between.
 */
import type { LogLevel } from '../engine/records';
import { detail, h, select } from './dom';
import { formatInteger } from './format';
import { DEFAULT_MAX_CONTENT_HEIGHT, formatLogTime, LEVELS, LogStore, visibleWindow } from './logStore';
import type { LogLine, RunRef } from './protocol';

const OVERSCAN = 12;

interface RowEls {
  row: HTMLDivElement;
  time: HTMLSpanElement;
  level: HTMLSpanElement;
  text: HTMLSpanElement;
  /** What the row shows now, to skip DOM writes when a frame changes nothing. */
  shown: number;
}

export interface LogViewEvents {
  /** null: follow the latest run. */
  onPickRun(runId: string | null): void;
}

export class LogView {
  readonly element: HTMLElement;
  private readonly store = new LogStore();
  private readonly viewport: HTMLDivElement;
  private readonly content: HTMLDivElement;
  private readonly layer: HTMLDivElement;
  private readonly empty: HTMLParagraphElement;
  private readonly title: HTMLElement;
  private readonly counts: HTMLElement;
  private readonly pickerSlot: HTMLElement;
  private readonly jump: HTMLButtonElement;
  private readonly pool: RowEls[] = [];
  private runId: string | null = null;
  private follow = true;
  private rowHeight = 0;
  private frame = 0;
  /** The run picker's options last drawn; rebuilding an unchanged <select> would close it under the user. */
  private pickerKey = '';
  /** The window last drawn; a frame with the same window and no new rows skips row writes. */
  private drawn = { start: -1, end: -1, length: -1, dropped: 0 };

  constructor(private readonly events: LogViewEvents) {
    this.title = h('h2', { class: 'section-title' }, 'Logs');
    this.pickerSlot = h('span', { class: 'picker-slot' });
    const levelPicker = select(
      [
        ['DEBUG', 'All levels'],
        ['INFO', 'Info and above'],
        ['WARNING', 'Warnings and above'],
        ['ERROR', 'Errors only'],
      ],
      'DEBUG',
      {
        label: 'Minimum log level',
        onChange: (e) => {
          this.store.setMinLevel((e.target as HTMLSelectElement).value as LogLevel);
          this.drawn.length = -1;
          this.schedule();
        },
      },
    );
    this.counts = h('span', { class: 'log-counts muted' });
    this.jump = h('button', { class: 'button secondary small jump', hidden: true, onClick: () => this.scrollToEnd() }, '↓ Follow');
    this.layer = h('div', { class: 'log-layer' });
    this.content = h('div', { class: 'log-content' }, this.layer);
    this.empty = h('p', { class: 'log-empty muted' }, 'No run selected.');
    this.viewport = h('div', { class: 'log-viewport', attrs: { role: 'log', tabindex: '0', 'aria-label': 'Run logs' } }, this.content);
    this.viewport.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.element = h(
      'section',
      { class: 'card logs', attrs: { 'aria-labelledby': 'logs-title' } },
      h('header', { class: 'section-header' }, this.title, h('div', { class: 'toolbar' }, this.counts, this.pickerSlot, levelPicker)),
      h('div', { class: 'log-frame' }, this.viewport, this.empty, this.jump),
    );
    this.title.id = 'logs-title';
  }

  /** The model's choice of run; a different run clears the view until its lines arrive. */
  setRun(logs: { run: RunRef | null; followingLatest: boolean }, recent: readonly RunRef[]): void {
    const id = logs.run?.id ?? null;
    if (id !== this.runId) {
      this.runId = id;
      this.store.clear();
      this.follow = true;
      this.drawn.length = -1;
    }
    this.title.replaceChildren('Logs', ...(logs.run ? detail(logs.run.name) : []));
    const options: [string, string][] = [['', logs.followingLatest && logs.run ? `Latest run (${logs.run.name})` : 'Latest run']];
    const listed = new Set<string>();
    for (const run of recent) {
      listed.add(run.id);
      options.push([run.id, `${run.name} — ${run.flowName}`]);
    }
    if (logs.run && !logs.followingLatest && !listed.has(logs.run.id)) options.push([logs.run.id, `${logs.run.name} — ${logs.run.flowName}`]);
    const selected = logs.followingLatest ? '' : (logs.run?.id ?? '');
    const key = JSON.stringify([options, selected]);
    if (key !== this.pickerKey) {
      this.pickerKey = key;
      this.pickerSlot.replaceChildren(
        select(options, selected, {
          label: 'Run whose logs are shown',
          onChange: (e) => this.events.onPickRun((e.target as HTMLSelectElement).value || null),
        }),
      );
    }
    this.empty.textContent = logs.run ? 'Waiting for log lines…' : 'No run yet.';
    this.schedule();
  }

  receive(runId: string, lines: readonly LogLine[], reset: boolean): void {
    if (runId !== this.runId) {
      // A reset for another run means the host moved on before its model reached us; lines without one are stale.
      if (!reset) return;
      this.runId = runId;
    }
    if (reset) {
      this.store.clear();
      this.follow = true;
      this.drawn.length = -1;
    }
    this.store.append(lines);
    this.schedule();
  }

  /** Fonts change with the theme; rows must be measured again. */
  remeasure(): void {
    this.rowHeight = 0;
    this.drawn.length = -1;
    this.schedule();
  }

  /** Lines held and rows in the DOM, for the harness's measurements. */
  stats(): { lines: number; rows: number; domRows: number } {
    return { lines: this.store.lineCount, rows: this.store.totalRows, domRows: this.layer.childElementCount };
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.render());
  }

  private onScroll(): void {
    const v = this.viewport;
    this.follow = v.scrollTop + v.clientHeight >= v.scrollHeight - Math.max(2, this.rowHeight / 2);
    this.schedule();
  }

  private scrollToEnd(): void {
    this.follow = true;
    this.viewport.scrollTop = this.viewport.scrollHeight;
    this.schedule();
  }

  private measure(): number {
    const probe = this.makeRow();
    probe.text.textContent = 'Mg';
    this.layer.append(probe.row);
    const height = probe.row.getBoundingClientRect().height;
    probe.row.remove();
    return height > 0 ? height : 18;
  }

  private render(): void {
    this.frame = 0;
    if (!this.element.isConnected) return;
    if (this.rowHeight === 0) this.rowHeight = this.measure();
    const total = this.store.length;
    this.empty.hidden = this.store.totalRows > 0;
    this.viewport.hidden = this.store.totalRows === 0;
    const fullHeight = Math.min(total * this.rowHeight, DEFAULT_MAX_CONTENT_HEIGHT);
    // CSSOM writes, which the CSP allows (it forbids only style attributes in markup).
    this.content.style.height = `${fullHeight}px`;
    if (this.follow) this.viewport.scrollTop = this.viewport.scrollHeight;
    const w = visibleWindow({
      scrollTop: this.viewport.scrollTop,
      viewportHeight: this.viewport.clientHeight,
      rowHeight: this.rowHeight,
      total,
      overscan: OVERSCAN,
      maxContentHeight: DEFAULT_MAX_CONTENT_HEIGHT,
    });
    this.layer.style.transform = `translateY(${w.top}px)`;
    const dropped = this.store.droppedRows;
    if (dropped !== this.drawn.dropped) this.drawn.length = -1;
    if (w.start !== this.drawn.start || w.end !== this.drawn.end || total !== this.drawn.length) {
      this.drawRows(w.start, w.end);
      this.drawn = { start: w.start, end: w.end, length: total, dropped };
    }
    this.jump.hidden = this.follow || total === 0;
    this.counts.textContent = this.countsText();
  }

  private drawRows(start: number, end: number): void {
    const needed = end - start;
    while (this.pool.length < needed) {
      const row = this.makeRow();
      this.pool.push(row);
      this.layer.append(row.row);
    }
    for (let k = 0; k < this.pool.length; k++) {
      const els = this.pool[k]!;
      if (k >= needed) {
        if (!els.row.hidden) els.row.hidden = true;
        els.shown = -1;
        continue;
      }
      els.row.hidden = false;
      const index = start + k;
      if (els.shown === index && this.drawn.length !== -1) continue;
      const r = this.store.row(index);
      els.time.textContent = r.first ? formatLogTime(r.ts) : '';
      els.level.textContent = r.first ? r.level : '';
      els.text.textContent = r.text;
      const cls = `log-row lvl-${r.level}${r.first ? '' : ' cont'}`;
      if (els.row.className !== cls) els.row.className = cls;
      els.shown = index;
    }
  }

  private makeRow(): RowEls {
    const time = h('span', { class: 'log-time' });
    const level = h('span', { class: 'log-level' });
    const text = h('span', { class: 'log-text' });
    return { row: h('div', { class: 'log-row' }, time, level, text), time, level, text, shown: -1 };
  }

  private countsText(): string {
    const c = this.store.countsByLevel;
    const parts = [`${formatInteger(this.store.lineCount)} ${this.store.lineCount === 1 ? 'line' : 'lines'}`];
    const errors = c[LEVELS.indexOf('ERROR')]! + c[LEVELS.indexOf('CRITICAL')]!;
    const warnings = c[LEVELS.indexOf('WARNING')]!;
    if (errors) parts.push(`${formatInteger(errors)} ${errors === 1 ? 'error' : 'errors'}`);
    if (warnings) parts.push(`${formatInteger(warnings)} ${warnings === 1 ? 'warning' : 'warnings'}`);
    if (this.store.droppedRows) parts.push(`oldest ${formatInteger(this.store.droppedRows)} rows dropped`);
    return parts.join(' · ');
  }
}
