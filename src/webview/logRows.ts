/**
 * The scrolling part of a log panel, over a LogStore: only the rows in view plus an overscan are in the
 * DOM, reused from a pool, and rendering is one pass per animation frame however many lines arrive in
 * between. It follows the end while scrolled there (a "↓ Follow" button brings it back). Rows are one line
 * high and scroll sideways, or, wrapped, as high as their text needs (monospace: characters per line tell
 * the lines). The dashboard's log pane and a run's details panel both show their lines through it.
 */
import { DEFAULT_MAX_CONTENT_HEIGHT, formatLogTime, visibleWindow, type LogStore } from './logStore';
import { LOG_LEVELS } from '../engine/logLevels';
import type { LogLevel } from '../engine/records';
import { h, select } from './dom';
import { formatInteger } from './format';
import { offsetWindow, RowOffsets } from './rowOffsets';

const OVERSCAN = 12;
/** The time and level columns take about this many characters of a wrapped row. */
const PREFIX_CHARS = 24;

interface RowEls {
  row: HTMLDivElement;
  time: HTMLSpanElement;
  level: HTMLSpanElement;
  text: HTMLSpanElement;
  /** What the row shows now, to skip DOM writes when a frame changes nothing. */
  shown: number;
}

export class LogRows {
  /** The frame: the scrolling rows, the empty text and the Follow button. */
  readonly element: HTMLElement;
  private readonly viewport: HTMLDivElement;
  private readonly content: HTMLDivElement;
  private readonly layer: HTMLDivElement;
  private readonly empty: HTMLParagraphElement;
  private readonly jump: HTMLButtonElement;
  private readonly pool: RowEls[] = [];
  private readonly offsets = new RowOffsets();
  private follow = true;
  private wrap = false;
  private rowHeight = 0;
  private charWidth = 0;
  private frame = 0;
  /** Rows (of the shown ones) whose heights are in `offsets`, and the width they were measured for. */
  private measured = { rows: 0, width: -1 };
  /** The window last drawn; a frame with the same window and no new rows skips row writes. */
  private drawn = { start: -1, end: -1, length: -1, dropped: 0 };

  constructor(
    private readonly store: LogStore,
    label: string,
    /** Called after each render, with the rows shown. */
    private readonly onRender: (shown: number) => void = () => undefined,
  ) {
    this.layer = h('div', { class: 'log-layer' });
    this.content = h('div', { class: 'log-content' }, this.layer);
    this.empty = h('p', { class: 'log-empty muted' });
    this.jump = h('button', { class: 'button secondary small jump', hidden: true, onClick: () => this.scrollToEnd() }, '↓ Follow');
    this.viewport = h('div', { class: 'log-viewport', attrs: { role: 'log', tabindex: '0', 'aria-label': label } }, this.content);
    this.viewport.addEventListener('scroll', () => this.onScroll(), { passive: true });
    new ResizeObserver(() => {
      this.measured.width = -1;
      this.schedule();
    }).observe(this.viewport);
    this.element = h('div', { class: 'log-frame' }, this.viewport, this.empty, this.jump);
  }

  /** What the frame says while the store holds no lines. */
  emptyText = 'No log lines yet.';

  /** Rows in the DOM, for the harness's measurements. */
  get domRows(): number {
    return this.layer.childElementCount;
  }

  /** What the store shows changed (new lines are drawn without this). */
  invalidate(options: { follow?: boolean } = {}): void {
    if (options.follow) this.follow = true;
    this.measured = { rows: 0, width: -1 };
    this.drawn.length = -1;
    this.schedule();
  }

  setWrap(wrap: boolean): void {
    this.wrap = wrap;
    this.viewport.classList.toggle('wrap', wrap);
    this.invalidate();
  }

  /** Fonts change with the theme; rows must be measured again. */
  remeasure(): void {
    this.rowHeight = 0;
    this.charWidth = 0;
    this.invalidate();
  }

  schedule(): void {
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

  private measure(): void {
    const probe = this.makeRow();
    probe.text.textContent = 'M'.repeat(100);
    this.layer.append(probe.row);
    const height = probe.row.getBoundingClientRect().height;
    this.rowHeight = height > 0 ? height : 18;
    this.charWidth = probe.text.getBoundingClientRect().width / 100 || 7;
    probe.row.remove();
  }

  /** Heights of the shown rows when wrapping, measured once per row and width. */
  private updateOffsets(): void {
    const width = this.viewport.clientWidth;
    const total = this.store.length;
    if (this.measured.width !== width || this.measured.rows > total) {
      this.offsets.reset();
      this.measured = { rows: 0, width };
    }
    const perLine = Math.max(20, Math.floor(width / this.charWidth) - PREFIX_CHARS);
    for (let i = this.measured.rows; i < total; i++) {
      const length = this.store.row(i).text.length;
      this.offsets.push(Math.max(1, Math.ceil(length / perLine)) * this.rowHeight);
    }
    this.measured.rows = total;
  }

  private render(): void {
    this.frame = 0;
    if (!this.element.isConnected) return;
    if (this.rowHeight === 0) this.measure();
    const total = this.store.length;
    this.empty.hidden = total > 0;
    this.empty.textContent = this.store.totalRows === 0 ? this.emptyText : 'No lines match the filter.';
    this.viewport.hidden = total === 0;
    let w: { start: number; end: number; top: number; contentHeight: number };
    if (this.wrap) {
      this.updateOffsets();
      // CSSOM writes, which the CSP allows (it forbids only style attributes in markup).
      this.content.style.height = `${Math.min(this.offsets.height, DEFAULT_MAX_CONTENT_HEIGHT)}px`;
      if (this.follow) this.viewport.scrollTop = this.viewport.scrollHeight;
      w = offsetWindow(this.offsets, this.viewport.scrollTop, this.viewport.clientHeight, OVERSCAN, DEFAULT_MAX_CONTENT_HEIGHT);
    } else {
      this.content.style.height = `${Math.min(total * this.rowHeight, DEFAULT_MAX_CONTENT_HEIGHT)}px`;
      if (this.follow) this.viewport.scrollTop = this.viewport.scrollHeight;
      w = visibleWindow({ scrollTop: this.viewport.scrollTop, viewportHeight: this.viewport.clientHeight, rowHeight: this.rowHeight, total, overscan: OVERSCAN, maxContentHeight: DEFAULT_MAX_CONTENT_HEIGHT });
    }
    this.layer.style.transform = `translateY(${w.top}px)`;
    const dropped = this.store.droppedRows;
    if (dropped !== this.drawn.dropped) this.drawn.length = -1;
    if (w.start !== this.drawn.start || w.end !== this.drawn.end || total !== this.drawn.length) {
      this.drawRows(w.start, w.end);
      this.drawn = { start: w.start, end: w.end, length: total, dropped };
    }
    this.jump.hidden = this.follow || total === 0;
    this.onRender(total);
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
      els.row.style.height = this.wrap ? `${this.offsets.top(index + 1) - this.offsets.top(index)}px` : '';
      els.shown = index;
    }
  }

  private makeRow(): RowEls {
    const time = h('span', { class: 'log-time' });
    const level = h('span', { class: 'log-level' });
    const text = h('span', { class: 'log-text' });
    return { row: h('div', { class: 'log-row' }, time, level, text), time, level, text, shown: -1 };
  }
}

/** `12,345 lines · 3 errors · 2 warnings`, and what was dropped, for a log panel's header. */
export function countsText(store: LogStore, extra: string[] = []): string {
  const c = store.countsByLevel;
  const parts = [`${formatInteger(store.lineCount)} ${store.lineCount === 1 ? 'line' : 'lines'}`, ...extra];
  const errors = c[LOG_LEVELS.indexOf('ERROR')]! + c[LOG_LEVELS.indexOf('CRITICAL')]!;
  const warnings = c[LOG_LEVELS.indexOf('WARNING')]!;
  if (errors) parts.push(`${formatInteger(errors)} ${errors === 1 ? 'error' : 'errors'}`);
  if (warnings) parts.push(`${formatInteger(warnings)} ${warnings === 1 ? 'warning' : 'warnings'}`);
  if (store.droppedRows) parts.push(`oldest ${formatInteger(store.droppedRows)} rows dropped`);
  return parts.join(' · ');
}

/** The minimum-level picker of a log panel. */
export function levelPicker(onChange: (level: LogLevel) => void): HTMLSelectElement {
  return select(
    [
      ['DEBUG', 'All levels'],
      ['INFO', 'Info and above'],
      ['WARNING', 'Warnings and above'],
      ['ERROR', 'Errors only'],
    ],
    'DEBUG',
    { label: 'Minimum log level', onChange: (e) => onChange((e.target as HTMLSelectElement).value as LogLevel) },
  );
}
