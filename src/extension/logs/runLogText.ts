/**
 * The text of a run's log document: a first line naming the run with its date, then the run's log lines
 * in Prefect's format (a `── 2026-11-27 ──` line where the date changes), and where each task run's lines
 * can fold. Pure (no `vscode`): the document provider shows it, tests read it.
 */
import { formatLogLine } from '../../engine/logFormat';
import type { LogRecord } from '../../engine/records';

export interface RunLogHead {
  runName: string;
  flowName: string;
  /** Epoch ms when the run was created: its date goes on the first line. */
  created: number;
  /** `Completed · 1.8 s`, `Running`. */
  status: string;
}

/** `2026-11-26` in local time, as the log lines' times are. */
export function localDay(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function headLine(head: RunLogHead): string {
  return `Flow run '${head.runName}' of flow '${head.flowName}' · ${localDay(head.created)} (local times) · ${head.status}`;
}

export class RunLogText {
  private head: string;
  private readonly lines: string[] = [];
  /** The task run each body line belongs to (undefined: the flow run's own lines, date lines). */
  private readonly owners: (string | undefined)[] = [];
  private day: string;

  constructor(head: RunLogHead) {
    this.head = headLine(head);
    this.day = localDay(head.created);
  }

  setHead(head: RunLogHead): void {
    this.head = headLine(head);
  }

  /** Log records in the order they were written. */
  append(records: readonly LogRecord[]): void {
    for (const r of records) {
      const day = localDay(r.ts);
      if (day !== this.day) {
        this.day = day;
        this.lines.push(`── ${day} ──`);
        this.owners.push(undefined);
      }
      for (const line of formatLogLine(r).split(/\r?\n/)) {
        this.lines.push(line);
        this.owners.push(r.taskRunId);
      }
    }
  }

  /** Lines, the first line included. */
  get lineCount(): number {
    return this.lines.length + 1;
  }

  text(): string {
    return this.lines.length === 0 ? `${this.head}\n` : `${this.head}\n${this.lines.join('\n')}\n`;
  }

  /**
   * Document lines (0-based, the first line counted) where a task run's lines fold: each stretch of two or
   * more lines of one task run. Task runs going at once interleave, so one task run can have several.
   */
  foldingRanges(): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    let start = 0;
    for (let i = 1; i <= this.owners.length; i++) {
      const owner = this.owners[start];
      if (i < this.owners.length && this.owners[i] === owner) continue;
      if (owner !== undefined && i - 1 > start) out.push({ start: start + 1, end: i });
      start = i;
    }
    return out;
  }
}
