/**
 * The timeline drawn on one canvas: a time axis, a row per task run (or shared rows when there are many),
 * bars split into waiting, attempts and retry waits, cached runs outlined, subflows in their own colour,
 * a line at "now" while the run goes. Wheel with Ctrl zooms around the pointer, wheel scrolls, dragging
 * pans, a click selects a bar; +/−/0 and the arrow keys do the same from the keyboard. Only what is in
 * view is drawn, so 20,000 bars cost what the visible ones cost.
 */
import { withAlpha } from '../color';
import { h } from '../dom';
import { formatDuration } from '../format';
import type { Palette } from '../theme';
import type { TimelineItem } from './protocol';
import { barAt, firstBarEndingAfter, layoutTimeline, type Bar, type TimelineLayout } from './timelineLayout';

const ROW_HEIGHT = 20;
const BAR_HEIGHT = 14;
const AXIS_HEIGHT = 22;
/** Left column with names when every item has its own row. */
const GUTTER = 170;
const MIN_BAR_PX = 2;
const MIN_AUTO_HEIGHT = 90;
const MAX_AUTO_HEIGHT = 420;
/** Below this width a bar's segments are not told apart. */
const THIN_BAR_PX = 3;

export interface TimelineEvents {
  /** A bar was picked (null: the selection was cleared). */
  onSelect(item: TimelineItem | null): void;
  /** A subflow's bar was opened (double click or Enter). */
  onOpenSubflow(item: TimelineItem): void;
}

interface Viewport {
  /** Time at the left edge of the plot. */
  t0: number;
  msPerPx: number;
  /** Pixels scrolled down. */
  scrollY: number;
  /** Fit the whole run, and keep fitting as it grows, until the user zooms or pans. */
  fitting: boolean;
}

export class TimelineView {
  readonly element: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly tip: HTMLElement;
  private readonly status: HTMLElement;
  /**
   * Says how a big run's timeline reads: that its bars share rows (one row each is for up to
   * ROW_PER_ITEM_LIMIT) and how many task runs the host left out of it.
   */
  private readonly note: HTMLElement;
  private omittedText = '';
  private packedText = '';
  private items: TimelineItem[] = [];
  private readonly index = new Map<string, number>();
  private layout: TimelineLayout = layoutTimeline([], 0);
  private now = 0;
  private view: Viewport = { t0: 0, msPerPx: 1, scrollY: 0, fitting: true };
  private selected = -1;
  /** The height last set to fit the rows; undefined before the first layout. */
  private autoHeight: number | undefined;
  /** An item to select once the next layout has placed it. */
  private pendingSelect: string | undefined;
  private frame = 0;
  private dirtyLayout = false;
  private drag?: { x: number; y: number; t0: number; scrollY: number; moved: boolean };
  /** Measured while drawing, for the figures the tests print. */
  lastLayoutMs = 0;
  lastDrawMs = 0;

  constructor(
    private palette: Palette,
    private readonly events: TimelineEvents,
  ) {
    this.canvas = h('canvas', { class: 'timeline-canvas', attrs: { tabindex: '0', role: 'img', 'aria-label': 'Timeline of the run: no task runs yet' } });
    this.tip = h('div', { class: 'timeline-tip', hidden: true, attrs: { role: 'tooltip' } });
    this.status = h('p', { class: 'sr-only', attrs: { 'aria-live': 'polite' } });
    this.note = h('p', { class: 'muted timeline-note', hidden: true });
    const button = (label: string, title: string, onClick: () => void) => h('button', { class: 'button secondary small', title, attrs: { 'aria-label': title }, onClick }, label);
    this.element = h(
      'section',
      { class: 'card timeline', attrs: { 'aria-labelledby': 'timeline-title' } },
      h(
        'header',
        { class: 'section-header' },
        h('h2', { class: 'section-title', attrs: { id: 'timeline-title' } }, 'Timeline'),
        h(
          'div',
          { class: 'toolbar' },
          h('span', { class: 'muted legend' }, legend()),
          button('−', 'Zoom out', () => this.zoom(2)),
          button('+', 'Zoom in', () => this.zoom(0.5)),
          button('Fit', 'Fit the whole run', () => this.fit()),
        ),
      ),
      this.note,
      h('div', { class: 'timeline-frame' }, this.canvas, this.tip),
      this.status,
    );
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('mousedown', (e) => this.onDown(e));
    window.addEventListener('mousemove', (e) => this.onMove(e));
    window.addEventListener('mouseup', (e) => this.onUp(e));
    this.canvas.addEventListener('mouseleave', () => (this.tip.hidden = true));
    this.canvas.addEventListener('dblclick', (e) => {
      const hit = this.hit(e);
      if (hit !== undefined && this.items[this.layout.bars[hit]!.item]?.kind === 'subflow') this.events.onOpenSubflow(this.items[this.layout.bars[hit]!.item]!);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    new ResizeObserver(() => this.schedule()).observe(this.canvas);
  }

  /** Replaces every item (reset) or updates/adds these. `now` is the host's clock. */
  receive(items: readonly TimelineItem[], reset: boolean, now: number): void {
    const selectedId = this.selected >= 0 ? this.items[this.layout.bars[this.selected]?.item ?? -1]?.id : undefined;
    if (reset) {
      this.items = [];
      this.index.clear();
    }
    for (const item of items) {
      const at = this.index.get(item.id);
      if (at === undefined) {
        this.index.set(item.id, this.items.length);
        this.items.push(item);
      } else {
        this.items[at] = item;
      }
    }
    this.now = Math.max(this.now, now);
    this.dirtyLayout = true;
    this.pendingSelect = selectedId;
    this.schedule();
  }

  /** How many of the run's task runs the host left out of the timeline (0: none). */
  setOmitted(omitted: number): void {
    const drawn = this.items.filter((i) => i.kind === 'task').length;
    this.omittedText = omitted > 0 ? `Showing ${count(drawn)} of ${count(drawn + omitted)} task runs: every failed one and the first to start.` : '';
    this.showNote();
  }

  private showNote(): void {
    const text = [this.omittedText, this.packedText].filter((t) => t !== '').join(' ');
    this.note.hidden = text === '';
    if (this.note.textContent !== text) this.note.textContent = text;
  }

  /** The host's clock moved on (a going run's bars grow). */
  tick(now: number): void {
    this.now = Math.max(this.now, now);
    if (this.layout.bars.some((b) => b.outcome === 'going')) {
      this.dirtyLayout = true;
      this.schedule();
    }
  }

  /** Selects the item with this id (from the log filter), or clears the selection. */
  select(id: string | null): void {
    this.pendingSelect = id ?? undefined;
    if (id === null) this.selected = -1;
    this.dirtyLayout = true;
    this.schedule();
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.schedule();
  }

  itemById(id: string): TimelineItem | undefined {
    const at = this.index.get(id);
    return at === undefined ? undefined : this.items[at];
  }

  get itemCount(): number {
    return this.items.length;
  }

  private schedule(): void {
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.draw());
  }

  private plotLeft(): number {
    return this.layout.packed ? 0 : Math.min(GUTTER, Math.floor(this.canvas.clientWidth / 3));
  }

  private relayout(): void {
    const t0 = performance.now();
    this.layout = layoutTimeline(this.items, this.now);
    this.lastLayoutMs = performance.now() - t0;
    this.canvas.dataset.layoutMs = this.lastLayoutMs.toFixed(1);
    this.canvas.dataset.bars = String(this.layout.bars.length);
    this.canvas.dataset.rows = String(this.layout.rowCount);
    this.canvas.dataset.spanMs = String(this.layout.end - this.layout.start);
    // Shared rows have no name column: say what a row is and how to find a bar's name.
    this.packedText = this.layout.packed ? `${whatShares(this.items)} share ${count(this.layout.rowCount)} ${this.layout.rowCount === 1 ? 'row' : 'rows'}, each row holding runs that did not overlap: point at a bar for its name, or zoom in to read names on the bars.` : '';
    this.showNote();
    if (this.pendingSelect !== undefined) {
      const item = this.index.get(this.pendingSelect);
      this.selected = item === undefined ? -1 : this.layout.bars.findIndex((b) => b.item === item);
      this.pendingSelect = undefined;
    }
    this.fitHeight();
    const failed = this.layout.bars.filter((b) => b.outcome === 'failed' || b.outcome === 'crashed').length;
    const going = this.layout.bars.filter((b) => b.outcome === 'going').length;
    this.canvas.setAttribute(
      'aria-label',
      `Timeline of the run: ${this.items.length} ${this.items.length === 1 ? 'bar' : 'bars'}${failed ? `, ${failed} failed` : ''}${going ? `, ${going} going` : ''}. Arrow keys move between bars, Enter shows a bar's logs.`,
    );
  }

  /** As tall as its rows need, between a few rows and most of a screen (more rows scroll). */
  private fitHeight(): void {
    const wanted = Math.min(MAX_AUTO_HEIGHT, Math.max(MIN_AUTO_HEIGHT, this.contentHeight()));
    if (wanted === this.autoHeight) return;
    this.canvas.style.height = `${wanted}px`;
    this.autoHeight = wanted;
  }

  private fit(): void {
    this.view.fitting = true;
    this.view.scrollY = 0;
    this.schedule();
  }

  private applyFit(width: number): void {
    const span = Math.max(1, this.layout.end - this.layout.start);
    const plot = Math.max(40, width - this.plotLeft() - 12);
    this.view.msPerPx = (span * 1.02) / plot;
    this.view.t0 = this.layout.start - span * 0.01;
  }

  private zoom(factor: number, atX?: number): void {
    const width = this.canvas.clientWidth;
    const left = this.plotLeft();
    const x = atX ?? left + (width - left) / 2;
    const t = this.view.t0 + (x - left) * this.view.msPerPx;
    this.view.msPerPx = Math.min(Math.max(this.view.msPerPx * factor, 0.001), 1e9);
    this.view.t0 = t - (x - left) * this.view.msPerPx;
    this.view.fitting = false;
    this.schedule();
  }

  private contentHeight(): number {
    return AXIS_HEIGHT + this.layout.rowCount * ROW_HEIGHT + 4;
  }

  private clampScroll(): void {
    const max = Math.max(0, this.contentHeight() - this.canvas.clientHeight);
    this.view.scrollY = Math.min(Math.max(0, this.view.scrollY), max);
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey) {
      this.zoom(Math.exp(e.deltaY * 0.002), e.clientX - rect.left);
      return;
    }
    const horizontal = e.shiftKey ? e.deltaY : e.deltaX;
    if (horizontal !== 0) {
      this.view.t0 += horizontal * this.view.msPerPx;
      this.view.fitting = false;
    }
    if (!e.shiftKey) this.view.scrollY += e.deltaY;
    this.schedule();
  }

  private onDown(e: MouseEvent): void {
    if (e.button !== 0) return;
    this.drag = { x: e.clientX, y: e.clientY, t0: this.view.t0, scrollY: this.view.scrollY, moved: false };
  }

  private onMove(e: MouseEvent): void {
    const d = this.drag;
    if (d) {
      const dx = e.clientX - d.x;
      const dy = e.clientY - d.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) d.moved = true;
      if (d.moved) {
        this.view.t0 = d.t0 - dx * this.view.msPerPx;
        this.view.scrollY = d.scrollY - dy;
        this.view.fitting = false;
        this.tip.hidden = true;
        this.schedule();
      }
      return;
    }
    if (e.target !== this.canvas) return;
    const hit = this.hit(e);
    if (hit === undefined) {
      this.tip.hidden = true;
      return;
    }
    this.showTip(hit, e);
  }

  private onUp(e: MouseEvent): void {
    const d = this.drag;
    this.drag = undefined;
    if (!d || d.moved || e.target !== this.canvas) return;
    this.choose(this.hit(e) ?? -1);
  }

  private onKey(e: KeyboardEvent): void {
    const step = this.canvas.clientWidth / 8;
    const handled = (): void => {
      e.preventDefault();
      this.schedule();
    };
    switch (e.key) {
      case '+':
      case '=':
        this.zoom(0.5);
        return handled();
      case '-':
        this.zoom(2);
        return handled();
      case '0':
        this.fit();
        return handled();
      case 'ArrowLeft':
        if (e.shiftKey) {
          this.view.t0 -= step * this.view.msPerPx;
          this.view.fitting = false;
        } else this.moveSelection(-1);
        return handled();
      case 'ArrowRight':
        if (e.shiftKey) {
          this.view.t0 += step * this.view.msPerPx;
          this.view.fitting = false;
        } else this.moveSelection(1);
        return handled();
      case 'ArrowUp':
        this.view.scrollY -= ROW_HEIGHT * 3;
        return handled();
      case 'ArrowDown':
        this.view.scrollY += ROW_HEIGHT * 3;
        return handled();
      case 'Enter': {
        const bar = this.layout.bars[this.selected];
        const item = bar && this.items[bar.item];
        if (item?.kind === 'subflow') this.events.onOpenSubflow(item);
        return handled();
      }
      case 'Escape':
        this.choose(-1);
        return handled();
    }
  }

  /** Moves the selection to the bar that starts next (or before), in time order. */
  private moveSelection(direction: 1 | -1): void {
    const bars = this.layout.bars;
    if (bars.length === 0) return;
    const order = bars.map((_, i) => i).sort((a, b) => bars[a]!.start - bars[b]!.start || a - b);
    const at = order.indexOf(this.selected);
    const next = order[at < 0 ? (direction > 0 ? 0 : order.length - 1) : Math.min(order.length - 1, Math.max(0, at + direction))]!;
    this.choose(next);
    this.reveal(next);
  }

  private reveal(b: number): void {
    const bar = this.layout.bars[b]!;
    const width = this.canvas.clientWidth - this.plotLeft();
    const x0 = (bar.start - this.view.t0) / this.view.msPerPx;
    const x1 = (bar.end - this.view.t0) / this.view.msPerPx;
    if (x0 < 0 || x1 > width) {
      this.view.t0 = bar.start - (width / 3) * this.view.msPerPx;
      this.view.fitting = false;
    }
    const y = AXIS_HEIGHT + bar.row * ROW_HEIGHT;
    if (y - this.view.scrollY < AXIS_HEIGHT || y + ROW_HEIGHT - this.view.scrollY > this.canvas.clientHeight) this.view.scrollY = y - AXIS_HEIGHT - ROW_HEIGHT;
  }

  private choose(b: number): void {
    this.selected = b;
    const bar = this.layout.bars[b];
    const item = bar ? this.items[bar.item] : undefined;
    this.status.textContent = item && bar ? describeBar(item, bar) : 'No bar selected';
    this.events.onSelect(item ?? null);
    this.schedule();
  }

  private hit(e: MouseEvent): number | undefined {
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    if (y < AXIS_HEIGHT) return undefined;
    const row = Math.floor((y - AXIS_HEIGHT + this.view.scrollY) / ROW_HEIGHT);
    if (!this.layout.packed && x < this.plotLeft()) return this.layout.byRow[row]?.[0];
    const t = this.view.t0 + (x - this.plotLeft()) * this.view.msPerPx;
    return barAt(this.layout, row, t, 3 * this.view.msPerPx);
  }

  private showTip(b: number, e: MouseEvent): void {
    const bar = this.layout.bars[b]!;
    const item = this.items[bar.item]!;
    this.tip.textContent = describeBar(item, bar);
    const rect = this.canvas.getBoundingClientRect();
    this.tip.hidden = false;
    this.tip.style.left = `${Math.min(e.clientX - rect.left + 12, Math.max(0, rect.width - 260))}px`;
    this.tip.style.top = `${e.clientY - rect.top + 14}px`;
  }

  private draw(): void {
    this.frame = 0;
    if (!this.canvas.isConnected) return;
    const t0 = performance.now();
    if (this.dirtyLayout) {
      this.dirtyLayout = false;
      this.relayout();
    }
    const ratio = window.devicePixelRatio || 1;
    const width = this.canvas.clientWidth;
    const height = this.canvas.clientHeight;
    if (width === 0 || height === 0) return;
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
    }
    if (this.view.fitting) this.applyFit(width);
    this.clampScroll();
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = this.palette.background;
    ctx.fillRect(0, 0, width, height);
    ctx.font = `${Math.max(10, this.palette.fontSize - 1)}px ${this.palette.fontFamily}`;
    ctx.textBaseline = 'middle';
    const left = this.plotLeft();
    this.drawRows(ctx, left, width, height);
    this.drawAxis(ctx, left, width, height);
    this.lastDrawMs = performance.now() - t0;
    this.canvas.dataset.drawMs = this.lastDrawMs.toFixed(1);
  }

  private x(t: number, left: number): number {
    return left + (t - this.view.t0) / this.view.msPerPx;
  }

  private drawRows(ctx: CanvasRenderingContext2D, left: number, width: number, height: number): void {
    const p = this.palette;
    const firstRow = Math.max(0, Math.floor(this.view.scrollY / ROW_HEIGHT));
    const lastRow = Math.min(this.layout.rowCount - 1, Math.ceil((this.view.scrollY + height - AXIS_HEIGHT) / ROW_HEIGHT));
    const tLeft = this.view.t0;
    const tRight = this.view.t0 + (width - left) * this.view.msPerPx;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, AXIS_HEIGHT, width, height - AXIS_HEIGHT);
    ctx.clip();
    for (let row = firstRow; row <= lastRow; row++) {
      const y = AXIS_HEIGHT + row * ROW_HEIGHT - this.view.scrollY;
      if (row % 2 === 1) {
        ctx.fillStyle = withAlpha(p.grid, 0.08);
        ctx.fillRect(0, y, width, ROW_HEIGHT);
      }
      const list = this.layout.byRow[row]!;
      // Bars thinner than a few pixels are drawn as plain ticks, and ticks of one colour that touch are one
      // rectangle: zoomed out on 20,000 bars, a row is a few hundred rectangles, not thousands.
      let run: { x0: number; x1: number; color: string } | undefined;
      /** Failed ticks go on top, so a neighbour never hides one. */
      const failures: number[] = [];
      const flushRun = (): void => {
        if (!run) return;
        ctx.fillStyle = run.color;
        ctx.fillRect(run.x0, y + (ROW_HEIGHT - BAR_HEIGHT) / 2, Math.max(1, run.x1 - run.x0), BAR_HEIGHT);
        run = undefined;
      };
      for (let k = firstBarEndingAfter(this.layout, row, tLeft); k < list.length; k++) {
        const b = list[k]!;
        const bar = this.layout.bars[b]!;
        if (bar.start > tRight) break;
        const x0 = this.x(bar.start, left);
        const x1 = this.x(bar.end, left);
        if (x1 - x0 >= THIN_BAR_PX || b === this.selected) {
          flushRun();
          this.drawBar(ctx, bar, b === this.selected, y, left, width);
          continue;
        }
        const color = outcomeColor(p, bar.outcome, this.items[bar.item]!.kind, false);
        const from = Math.max(left, Math.floor(x0));
        const to = Math.max(from + 1, Math.ceil(x1));
        if (bar.outcome === 'failed' || bar.outcome === 'crashed') {
          failures.push(from);
          continue;
        }
        if (run && run.color === color && from <= run.x1) run.x1 = Math.max(run.x1, to);
        else {
          flushRun();
          run = { x0: from, x1: to, color };
        }
      }
      flushRun();
      ctx.fillStyle = p.series.red;
      for (const x of failures) ctx.fillRect(x, y + (ROW_HEIGHT - BAR_HEIGHT) / 2, 2, BAR_HEIGHT);
      if (!this.layout.packed) {
        const bar = this.layout.bars[list[0]!]!;
        const item = this.items[bar.item]!;
        ctx.fillStyle = left > 0 ? p.background : 'transparent';
        ctx.fillRect(0, y, left, ROW_HEIGHT);
        ctx.fillStyle = bar.outcome === 'failed' || bar.outcome === 'crashed' ? p.series.red : bar.outcome === 'cancelled' ? p.muted : p.foreground;
        ctx.fillText(fitText(ctx, item.name, left - 10), 6, y + ROW_HEIGHT / 2);
      }
    }
    // "Now", while something is still going.
    if (this.layout.bars.some((b) => b.outcome === 'going')) {
      const x = this.x(this.now, left);
      if (x >= left && x <= width) {
        ctx.strokeStyle = withAlpha(p.series.blue, 0.8);
        ctx.setLineDash([3, 3]);
        ctx.beginPath();
        ctx.moveTo(x + 0.5, AXIS_HEIGHT);
        ctx.lineTo(x + 0.5, height);
        ctx.stroke();
        ctx.setLineDash([]);
      }
    }
    ctx.restore();
  }

  private drawBar(ctx: CanvasRenderingContext2D, bar: Bar, selected: boolean, rowTop: number, left: number, width: number): void {
    const p = this.palette;
    const item = this.items[bar.item]!;
    const y = rowTop + (ROW_HEIGHT - BAR_HEIGHT) / 2;
    const color = outcomeColor(p, bar.outcome, item.kind, false);
    const x0 = Math.max(left, this.x(bar.start, left));
    const x1 = Math.max(x0 + MIN_BAR_PX, Math.min(width, this.x(bar.end, left)));
    for (const s of bar.segments) {
      const sx0 = Math.max(left, this.x(s.start, left));
      const sx1 = Math.min(width, this.x(s.end, left));
      if (sx1 <= sx0) continue;
      if (s.kind === 'running') {
        ctx.fillStyle = color;
        ctx.fillRect(sx0, y, sx1 - sx0, BAR_HEIGHT);
        // Attempts after the first start with a notch.
        if ((s.attempt ?? 1) > 1 && sx1 - sx0 > 3) {
          ctx.fillStyle = p.background;
          ctx.fillRect(sx0, y, 1, BAR_HEIGHT);
        }
      } else if (s.kind === 'retryWait') {
        ctx.fillStyle = withAlpha(p.series.orange, 0.35);
        ctx.fillRect(sx0, y + 3, sx1 - sx0, BAR_HEIGHT - 6);
      } else {
        ctx.fillStyle = withAlpha(p.muted, 0.25);
        ctx.fillRect(sx0, y + 4, sx1 - sx0, BAR_HEIGHT - 8);
      }
    }
    if (bar.outcome === 'cached' || bar.segments.every((s) => s.kind !== 'running')) {
      // Reused or never ran: an outline, not a filled bar.
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(x0 + 0.75, y + 0.75, Math.max(MIN_BAR_PX, x1 - x0) - 1.5, BAR_HEIGHT - 1.5);
    }
    if (selected) {
      ctx.strokeStyle = p.foreground;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 - 1, y - 1, x1 - x0 + 2, BAR_HEIGHT + 2);
    }
    // A name inside the bar when there is room for it (shared rows have no name column).
    if (this.layout.packed && x1 - x0 > 40) {
      const label = fitText(ctx, item.name, x1 - x0 - 8);
      if (label) {
        ctx.fillStyle = bar.outcome === 'cached' ? p.foreground : p.background;
        ctx.fillText(label, x0 + 4, y + BAR_HEIGHT / 2 + 0.5);
      }
    }
  }

  private drawAxis(ctx: CanvasRenderingContext2D, left: number, width: number, height: number): void {
    const p = this.palette;
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, width, AXIS_HEIGHT);
    ctx.strokeStyle = withAlpha(p.grid, 0.6);
    ctx.beginPath();
    ctx.moveTo(0, AXIS_HEIGHT - 0.5);
    ctx.lineTo(width, AXIS_HEIGHT - 0.5);
    ctx.stroke();
    const step = tickStep(this.view.msPerPx * 90);
    const origin = this.layout.start;
    const first = Math.ceil((this.view.t0 - origin) / step) * step + origin;
    ctx.fillStyle = p.muted;
    for (let t = first; this.x(t, left) <= width; t += step) {
      const x = Math.round(this.x(t, left)) + 0.5;
      ctx.strokeStyle = withAlpha(p.grid, 0.25);
      ctx.beginPath();
      ctx.moveTo(x, AXIS_HEIGHT);
      ctx.lineTo(x, height);
      ctx.stroke();
      ctx.fillText(`+${formatDuration(t - origin)}`, x + 3, AXIS_HEIGHT / 2);
    }
    if (!this.layout.packed && left > 0) {
      ctx.fillStyle = p.background;
      ctx.fillRect(0, 0, left, AXIS_HEIGHT);
      ctx.fillStyle = p.muted;
      ctx.fillText(this.items.length === 1 ? '1 run' : `${this.items.length} runs`, 6, AXIS_HEIGHT / 2);
    }
  }
}

function count(x: number): string {
  return x.toLocaleString('en-US');
}

/** "20,000 task runs", "19,990 task runs and 10 subflow runs". */
function whatShares(items: readonly TimelineItem[]): string {
  const subflows = items.filter((i) => i.kind === 'subflow').length;
  const tasks = items.length - subflows;
  const runs = (n: number, kind: string): string => `${count(n)} ${kind} ${n === 1 ? 'run' : 'runs'}`;
  if (subflows === 0) return runs(tasks, 'task');
  return tasks === 0 ? runs(subflows, 'subflow') : `${runs(tasks, 'task')} and ${runs(subflows, 'subflow')}`;
}

/** A round step for ticks at least `minMs` apart: 1, 2, 5 × 10ⁿ ms, then seconds, minutes, hours. */
export function tickStep(minMs: number): number {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  return steps.find((s) => s >= minMs) ?? Math.ceil(minMs / 86_400_000) * 86_400_000;
}

function outcomeColor(p: Palette, outcome: Bar['outcome'], kind: TimelineItem['kind'], text: boolean): string {
  if (kind === 'subflow' && outcome !== 'failed' && outcome !== 'crashed') return p.series.purple;
  switch (outcome) {
    case 'completed':
    case 'cached':
      return p.series.green;
    case 'failed':
    case 'crashed':
      return p.series.red;
    case 'cancelled':
      return text ? p.muted : withAlpha(p.muted, 0.7);
    case 'going':
      return p.series.blue;
  }
}

function fitText(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (max <= 8) return '';
  if (ctx.measureText(text).width <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(`${text.slice(0, mid)}…`).width <= max) lo = mid;
    else hi = mid - 1;
  }
  return lo === 0 ? '' : `${text.slice(0, lo)}…`;
}

const OUTCOME_WORDS: Record<Bar['outcome'], string> = { going: 'still going', completed: 'completed', cached: 'cached (reused a stored result)', failed: 'failed', crashed: 'crashed', cancelled: 'cancelled' };

function describeBar(item: TimelineItem, bar: Bar): string {
  const parts = [`${item.kind === 'subflow' ? 'Subflow run' : 'Task run'} ${item.name}`, OUTCOME_WORDS[bar.outcome], formatDuration(bar.end - bar.start)];
  if (bar.attempts > 1) parts.push(`${bar.attempts} attempts`);
  const waited = bar.segments.filter((s) => s.kind === 'waiting').reduce((sum, s) => sum + s.end - s.start, 0);
  if (waited >= 1) parts.push(`waited ${formatDuration(waited)} to start`);
  const retryWait = bar.segments.filter((s) => s.kind === 'retryWait').reduce((sum, s) => sum + s.end - s.start, 0);
  if (retryWait >= 1) parts.push(`${formatDuration(retryWait)} waiting for retries`);
  return parts.join(' · ');
}

function legend(): string {
  return 'attempt ▮ · waiting ▭ · retry wait ▬ · cached □';
}
