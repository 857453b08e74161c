/**
 * The run's logs in its details panel: filters by level, by task (every run of a task, or the one task run
 * picked on the timeline) and by text; long lines wrap or scroll sideways; copy and save as .log (the host
 * writes what this view shows). Lines live in the dashboard's LogStore, tagged with their task run; only
 * the rows in view are in the DOM, so a run's 100,000 lines cost what 100 do.
 */
import type { LogLevel } from '../../engine/records';
import { h, select } from '../dom';
import { formatInteger } from '../format';
import { DEFAULT_MAX_CONTENT_HEIGHT, formatLogTime, LEVELS, LogStore, visibleWindow } from '../logStore';
import type { LogFilter, RunLogLine, TimelineItem } from './protocol';
import { offsetWindow, RowOffsets } from './rowOffsets';

const OVERSCAN = 12;
const SEARCH_DELAY_MS = 150;

interface RowEls {
  row: HTMLDivElement;
  time: HTMLSpanElement;
  level: HTMLSpanElement;
  text: HTMLSpanElement;
  shown: number;
}

export interface RunLogViewEvents {
  onExport(to: 'clipboard' | 'file', filter: LogFilter): void;
  /** The task filter changed to one task run (null: not one task run any more). */
  onTaskRunFilter(taskRunId: string | null): void;
}

export class RunLogView {
  readonly element: HTMLElement;
  private readonly store = new LogStore();
  private readonly offsets = new RowOffsets();
  private readonly viewport: HTMLDivElement;
  private readonly content: HTMLDivElement;
  private readonly layer: HTMLDivElement;
  private readonly empty: HTMLParagraphElement;
  private readonly counts: HTMLElement;
  private readonly taskSlot: HTMLElement;
  private readonly wrapButton: HTMLButtonElement;
  private readonly jump: HTMLButtonElement;
  private readonly pool: RowEls[] = [];
  /** Task run id → tag; tag 0 is the flow run's own lines. */
  private readonly tagOf = new Map<string, number>();
  private readonly items = new Map<string, TimelineItem>();
  private filter: LogFilter = { minLevel: 'DEBUG' };
  private wrap = false;
  private follow = true;
  private rowHeight = 0;
  private charWidth = 0;
  private frame = 0;
  private searchTimer = 0;
  private taskKey = '';
  /** Rows (of the shown ones) whose heights are in `offsets`, and the width they were measured for. */
  private measured = { rows: 0, width: -1 };
  private drawn = { start: -1, end: -1, length: -1 };

  constructor(private readonly events: RunLogViewEvents) {
    const levelPicker = select(
      [
        ['DEBUG', 'All levels'],
        ['INFO', 'Info and above'],
        ['WARNING', 'Warnings and above'],
        ['ERROR', 'Errors only'],
      ],
      'DEBUG',
      { label: 'Minimum log level', onChange: (e) => this.setFilter({ ...this.filter, minLevel: (e.target as HTMLSelectElement).value as LogLevel }) },
    );
    const search = h('input', { class: 'search', attrs: { type: 'search', placeholder: 'Search logs', 'aria-label': 'Search the logs' } });
    search.addEventListener('input', () => {
      window.clearTimeout(this.searchTimer);
      this.searchTimer = window.setTimeout(() => {
        const text = search.value.slice(0, 500);
        const { search: _old, ...rest } = this.filter;
        this.setFilter(text ? { ...rest, search: text } : rest);
      }, SEARCH_DELAY_MS);
    });
    this.taskSlot = h('span', { class: 'picker-slot' });
    this.wrapButton = h('button', { class: 'button secondary small', title: 'Wrap long lines', attrs: { 'aria-pressed': 'false' }, onClick: () => this.toggleWrap() }, 'Wrap');
    const copy = h('button', { class: 'button secondary small', title: 'Copy the lines shown', onClick: () => this.events.onExport('clipboard', { ...this.filter }) }, 'Copy');
    const save = h('button', { class: 'button secondary small', title: 'Save the lines shown as a .log file', onClick: () => this.events.onExport('file', { ...this.filter }) }, 'Save as .log');
    this.counts = h('span', { class: 'log-counts muted' });
    this.jump = h('button', { class: 'button secondary small jump', hidden: true, onClick: () => this.scrollToEnd() }, '↓ Follow');
    this.layer = h('div', { class: 'log-layer' });
    this.content = h('div', { class: 'log-content' }, this.layer);
    this.empty = h('p', { class: 'log-empty muted' }, 'No log lines yet.');
    this.viewport = h('div', { class: 'log-viewport', attrs: { role: 'log', tabindex: '0', 'aria-label': 'Run logs' } }, this.content);
    this.viewport.addEventListener('scroll', () => this.onScroll(), { passive: true });
    new ResizeObserver(() => {
      this.measured.width = -1;
      this.schedule();
    }).observe(this.viewport);
    this.element = h(
      'section',
      { class: 'card logs', attrs: { 'aria-labelledby': 'logs-title' } },
      h('header', { class: 'section-header' }, h('h2', { class: 'section-title', attrs: { id: 'logs-title' } }, 'Logs'), this.counts),
      h('div', { class: 'toolbar log-toolbar' }, levelPicker, this.taskSlot, search, this.wrapButton, copy, save),
      h('div', { class: 'log-frame' }, this.viewport, this.empty, this.jump),
    );
    this.drawTaskPicker();
  }

  receive(lines: readonly RunLogLine[], reset: boolean): void {
    if (reset) {
      this.store.clear();
      this.follow = true;
      this.invalidate();
    }
    this.store.append(lines, (line) => this.tag((line as RunLogLine).taskRunId));
    this.schedule();
  }

  /** The task runs known (from the timeline): the task picker lists their tasks. */
  setItems(items: Iterable<TimelineItem>): void {
    let added = false;
    for (const item of items) {
      if (item.kind !== 'task') continue;
      if (!this.items.has(item.id)) added = true;
      this.items.set(item.id, item);
    }
    this.drawTaskPicker();
    // A task's new runs belong in a filter on that task.
    if (added && this.filter.taskName !== undefined) this.applyFilter();
  }

  /** Shows only one task run's lines (a bar picked on the timeline), or all again. */
  showTaskRun(taskRunId: string | null): void {
    const { taskRunId: _id, taskName: _name, ...rest } = this.filter;
    this.setFilter(taskRunId === null ? rest : { ...rest, taskRunId }, false);
  }

  get currentFilter(): LogFilter {
    return { ...this.filter };
  }

  /** Fonts change with the theme: rows are measured again. */
  remeasure(): void {
    this.rowHeight = 0;
    this.charWidth = 0;
    this.invalidate();
    this.schedule();
  }

  private tag(taskRunId: string | undefined): number {
    if (taskRunId === undefined) return 0;
    let tag = this.tagOf.get(taskRunId);
    if (tag === undefined) {
      tag = this.tagOf.size + 1;
      this.tagOf.set(taskRunId, tag);
    }
    return tag;
  }

  private setFilter(filter: LogFilter, tell = true): void {
    const before = this.filter.taskRunId ?? null;
    this.filter = filter;
    this.applyFilter();
    this.drawTaskPicker();
    if (tell && (filter.taskRunId ?? null) !== before) this.events.onTaskRunFilter(filter.taskRunId ?? null);
  }

  private applyFilter(): void {
    let tags: Set<number> | null = null;
    if (this.filter.taskRunId !== undefined) tags = new Set([this.tag(this.filter.taskRunId)]);
    else if (this.filter.taskName !== undefined) {
      tags = new Set();
      for (const item of this.items.values()) if (item.group === this.filter.taskName) tags.add(this.tag(item.id));
    }
    this.store.setFilter({ minLevel: this.filter.minLevel, tags, text: this.filter.search ?? '' });
    this.follow = true;
    this.invalidate();
    this.schedule();
  }

  private drawTaskPicker(): void {
    const names = new Map<string, number>();
    for (const item of this.items.values()) names.set(item.group, (names.get(item.group) ?? 0) + 1);
    const options: [string, string][] = [['', 'All tasks']];
    for (const [name, n] of [...names].sort((a, b) => a[0].localeCompare(b[0]))) options.push([`task:${name}`, `${name} (${formatInteger(n)} ${n === 1 ? 'run' : 'runs'})`]);
    const picked = this.filter.taskRunId !== undefined ? this.items.get(this.filter.taskRunId) : undefined;
    if (this.filter.taskRunId !== undefined) options.push([`run:${this.filter.taskRunId}`, `Task run ${picked?.name ?? this.filter.taskRunId}`]);
    const selected = this.filter.taskRunId !== undefined ? `run:${this.filter.taskRunId}` : this.filter.taskName !== undefined ? `task:${this.filter.taskName}` : '';
    const key = JSON.stringify([options, selected]);
    if (key === this.taskKey) return;
    this.taskKey = key;
    this.taskSlot.replaceChildren(
      select(options, selected, {
        label: 'Show the lines of',
        onChange: (e) => {
          const value = (e.target as HTMLSelectElement).value;
          const { taskRunId: _id, taskName: _name, ...rest } = this.filter;
          if (value.startsWith('task:')) this.setFilter({ ...rest, taskName: value.slice(5) });
          else if (value.startsWith('run:')) this.setFilter({ ...rest, taskRunId: value.slice(4) });
          else this.setFilter(rest);
        },
      }),
    );
  }

  private toggleWrap(): void {
    this.wrap = !this.wrap;
    this.wrapButton.setAttribute('aria-pressed', String(this.wrap));
    this.viewport.classList.toggle('wrap', this.wrap);
    this.invalidate();
    this.schedule();
  }

  private invalidate(): void {
    this.measured = { rows: 0, width: -1 };
    this.drawn.length = -1;
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

  private measure(): void {
    const probe = this.makeRow();
    probe.text.textContent = 'M'.repeat(100);
    this.layer.append(probe.row);
    this.rowHeight = probe.row.getBoundingClientRect().height || 18;
    this.charWidth = probe.text.getBoundingClientRect().width / 100 || 7;
    probe.row.remove();
  }

  /** Heights of the shown rows when wrapping: monospace text, so characters per line tell the lines. */
  private updateOffsets(): void {
    const width = this.viewport.clientWidth;
    const total = this.store.length;
    if (this.measured.width !== width || this.measured.rows > total) {
      this.offsets.reset();
      this.measured = { rows: 0, width };
    }
    // The time and level columns take about 24 characters; the text wraps in the rest.
    const perLine = Math.max(20, Math.floor((width - 24) / this.charWidth) - 24);
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
    this.empty.textContent = this.store.totalRows === 0 ? 'No log lines yet.' : 'No lines match the filter.';
    this.viewport.hidden = total === 0;
    let w: { start: number; end: number; top: number; contentHeight: number };
    if (this.wrap) {
      this.updateOffsets();
      this.content.style.height = `${Math.min(this.offsets.height, DEFAULT_MAX_CONTENT_HEIGHT)}px`;
      if (this.follow) this.viewport.scrollTop = this.viewport.scrollHeight;
      w = offsetWindow(this.offsets, this.viewport.scrollTop, this.viewport.clientHeight, OVERSCAN, DEFAULT_MAX_CONTENT_HEIGHT);
    } else {
      this.offsets.reset();
      this.measured.rows = 0;
      const full = Math.min(total * this.rowHeight, DEFAULT_MAX_CONTENT_HEIGHT);
      this.content.style.height = `${full}px`;
      if (this.follow) this.viewport.scrollTop = this.viewport.scrollHeight;
      w = visibleWindow({ scrollTop: this.viewport.scrollTop, viewportHeight: this.viewport.clientHeight, rowHeight: this.rowHeight, total, overscan: OVERSCAN, maxContentHeight: DEFAULT_MAX_CONTENT_HEIGHT });
    }
    this.layer.style.transform = `translateY(${w.top}px)`;
    if (w.start !== this.drawn.start || w.end !== this.drawn.end || total !== this.drawn.length) {
      this.drawRows(w.start, w.end);
      this.drawn = { start: w.start, end: w.end, length: total };
    }
    this.jump.hidden = this.follow || total === 0;
    this.counts.textContent = this.countsText(total);
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

  private countsText(shown: number): string {
    const c = this.store.countsByLevel;
    const lines = this.store.lineCount;
    const parts = [`${formatInteger(lines)} ${lines === 1 ? 'line' : 'lines'}`];
    if (shown !== this.store.totalRows) parts.push(`${formatInteger(shown)} rows shown`);
    const errors = c[LEVELS.indexOf('ERROR')]! + c[LEVELS.indexOf('CRITICAL')]!;
    if (errors) parts.push(`${formatInteger(errors)} ${errors === 1 ? 'error' : 'errors'}`);
    if (this.store.droppedRows) parts.push(`oldest ${formatInteger(this.store.droppedRows)} rows dropped (Save as .log has every line)`);
    return parts.join(' · ');
  }
}
