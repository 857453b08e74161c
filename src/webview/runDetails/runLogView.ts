/**
 * The run's logs in its details panel: filters by level, by task (every run of a task, or the one task run
 * picked on the timeline) and by text; long lines wrap or scroll sideways; copy and save as .log (the host
 * writes what this view shows). Lines live in the dashboard's LogStore, tagged with their task run, and
 * scroll through LogRows, so a run's 100,000 lines cost what 100 do.
 */
import { h, select } from '../dom';
import { formatInteger } from '../format';
import { countsText, levelPicker, LogRows } from '../logRows';
import { LogStore } from '../logStore';
import type { LogFilter, RunLogLine, TimelineItem } from './protocol';

const SEARCH_DELAY_MS = 150;

export interface RunLogViewEvents {
  onExport(to: 'clipboard' | 'file', filter: LogFilter): void;
  /** The task filter changed to one task run (null: not one task run any more). */
  onTaskRunFilter(taskRunId: string | null): void;
}

export class RunLogView {
  readonly element: HTMLElement;
  private readonly store = new LogStore();
  private readonly rows: LogRows;
  private readonly counts: HTMLElement;
  private readonly taskSlot: HTMLElement;
  private readonly wrapButton: HTMLButtonElement;
  /** Task run id → tag; tag 0 is the flow run's own lines. */
  private readonly tagOf = new Map<string, number>();
  private readonly items = new Map<string, TimelineItem>();
  private filter: LogFilter = { minLevel: 'DEBUG' };
  private wrap = false;
  private searchTimer = 0;
  private taskKey = '';

  constructor(private readonly events: RunLogViewEvents) {
    const levels = levelPicker((minLevel) => this.setFilter({ ...this.filter, minLevel }));
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
    this.rows = new LogRows(this.store, 'Run logs', (shown) =>
      (this.counts.textContent = countsText(this.store, shown !== this.store.totalRows ? [`${formatInteger(shown)} ${shown === 1 ? 'row' : 'rows'} shown`] : [])),
    );
    this.element = h(
      'section',
      { class: 'card logs', attrs: { 'aria-labelledby': 'logs-title' } },
      h('header', { class: 'section-header' }, h('h2', { class: 'section-title', attrs: { id: 'logs-title' } }, 'Logs'), this.counts),
      h('div', { class: 'toolbar log-toolbar' }, levels, this.taskSlot, search, this.wrapButton, copy, save),
      this.rows.element,
    );
    this.drawTaskPicker();
  }

  receive(lines: readonly RunLogLine[], reset: boolean): void {
    if (reset) {
      this.store.clear();
      this.rows.invalidate({ follow: true });
    }
    this.store.append(lines, (line) => this.tag((line as RunLogLine).taskRunId));
    this.rows.schedule();
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
    this.rows.remeasure();
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
    this.rows.invalidate({ follow: true });
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
    this.rows.setWrap(this.wrap);
  }
}
