/**
 * The dashboard's live log panel: which run's lines, the level filter and the counts; the lines live in a
 * LogStore and scroll through LogRows, so 100,000 lines cost the same to display as 100.
 */
import { detail, h, select } from './dom';
import { countsText, levelPicker, LogRows } from './logRows';
import { LogStore } from './logStore';
import type { LogLine, RunRef } from './protocol';

export interface LogViewEvents {
  /** null: follow the latest run. */
  onPickRun(runId: string | null): void;
  /** Save the shown run's whole log as a .log file (the host reads and writes it). */
  onSave(runId: string): void;
}

export class LogView {
  readonly element: HTMLElement;
  private readonly store = new LogStore();
  private readonly rows: LogRows;
  private readonly title: HTMLElement;
  private readonly counts: HTMLElement;
  private readonly save: HTMLButtonElement;
  private readonly pickerSlot: HTMLElement;
  private runId: string | null = null;
  /** The run picker's options last drawn; rebuilding an unchanged <select> would close it under the user. */
  private pickerKey = '';

  constructor(private readonly events: LogViewEvents) {
    this.title = h('h2', { class: 'section-title' }, 'Logs');
    this.pickerSlot = h('span', { class: 'picker-slot' });
    const levels = levelPicker((level) => {
      this.store.setMinLevel(level);
      this.rows.invalidate();
    });
    this.counts = h('span', { class: 'log-counts muted' });
    this.save = h(
      'button',
      { class: 'link-button', title: "Save this run's whole log as a .log file, as the output channel prints it", attrs: { 'aria-label': 'Save as .log' }, onClick: () => this.runId && this.events.onSave(this.runId) },
      'Save as .log',
    );
    this.rows = new LogRows(this.store, 'Run logs', () => (this.counts.textContent = countsText(this.store)));
    this.rows.emptyText = 'No run selected.';
    this.element = h(
      'section',
      { class: 'card logs', attrs: { 'aria-labelledby': 'logs-title' } },
      h('header', { class: 'section-header' }, this.title, h('div', { class: 'toolbar' }, this.counts, this.save, this.pickerSlot, levels)),
      this.rows.element,
    );
    this.title.id = 'logs-title';
  }

  /** The model's choice of run; a different run clears the view until its lines arrive. */
  setRun(logs: { run: RunRef | null; followingLatest: boolean }, recent: readonly RunRef[]): void {
    const id = logs.run?.id ?? null;
    if (id !== this.runId) {
      this.runId = id;
      this.store.clear();
      this.rows.invalidate({ follow: true });
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
    this.rows.emptyText = logs.run ? 'Waiting for log lines…' : 'No run yet.';
    this.save.hidden = logs.run === null;
    this.rows.schedule();
  }

  receive(runId: string, lines: readonly LogLine[], reset: boolean): void {
    if (runId !== this.runId) {
      // A reset for another run means the host moved on before its model reached us; lines without one are stale.
      if (!reset) return;
      this.runId = runId;
    }
    if (reset) {
      this.store.clear();
      this.rows.invalidate({ follow: true });
    }
    this.store.append(lines);
    this.rows.schedule();
  }

  /** Fonts change with the theme; rows must be measured again. */
  remeasure(): void {
    this.rows.remeasure();
  }

  /** Lines held and rows in the DOM, for the harness's measurements. */
  stats(): { lines: number; rows: number; domRows: number } {
    return { lines: this.store.lineCount, rows: this.store.totalRows, domRows: this.rows.domRows };
  }
}
