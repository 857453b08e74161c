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

/**
 * Lines a log document keeps at most: its first `first` lines and its last `last`, with one line between
 * them saying how many were left out. A run that logs millions of lines would otherwise make a document of
 * hundreds of megabytes, joined on the extension host's thread and handed whole to the editor at each redraw.
 */
export const LOG_DOCUMENT_LINES = { first: 10_000, last: 90_000 };
/**
 * A line of the document is cut past this many characters: 600 log lines of a megabyte (as long as
 * FLOWDECK_MAX_LOG_LINE_KB lets one be) made a text longer than a string may be, and Show Logs failed with
 * 'Invalid string length'.
 */
export const MAX_DOCUMENT_LINE_CHARS = 10_000;

export class RunLogText {
  private head: string;
  private readonly runName: string;
  /** The first lines, up to `limits.first`, and the task run each belongs to (undefined: the flow run's own lines, date lines). */
  private readonly first: string[] = [];
  private readonly firstOwners: (string | undefined)[] = [];
  /** The lines after them, from `tailStart` on: the last `limits.last` at most. */
  private tail: string[] = [];
  private tailOwners: (string | undefined)[] = [];
  private tailStart = 0;
  /** Lines left out between the first and the last. */
  private dropped = 0;
  private day: string;

  constructor(
    head: RunLogHead,
    private readonly limits = LOG_DOCUMENT_LINES,
  ) {
    this.head = headLine(head);
    this.runName = head.runName;
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
        this.push(`── ${day} ──`, undefined);
      }
      for (const line of formatLogLine(r).split(/\r?\n/)) this.push(this.cut(line), r.taskRunId);
    }
  }

  private cut(line: string): string {
    if (line.length <= MAX_DOCUMENT_LINE_CHARS) return line;
    return `${line.slice(0, MAX_DOCUMENT_LINE_CHARS)}… ${(line.length - MAX_DOCUMENT_LINE_CHARS).toLocaleString('en-US')} more characters: the run's details (Save as .log) and \`flowdeck logs ${this.runName}\` have the line whole`;
  }

  private push(line: string, owner: string | undefined): void {
    if (this.first.length < this.limits.first) {
      this.first.push(line);
      this.firstOwners.push(owner);
      return;
    }
    this.tail.push(line);
    this.tailOwners.push(owner);
    if (this.tail.length - this.tailStart <= this.limits.last) return;
    this.tailStart++;
    this.dropped++;
    // What was left out is let go of in one go, once there is as much of it as is kept.
    if (this.tailStart >= this.limits.last) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailOwners = this.tailOwners.slice(this.tailStart);
      this.tailStart = 0;
    }
  }

  /** Lines, the first line included. */
  get lineCount(): number {
    return 1 + this.first.length + (this.dropped > 0 ? 1 : 0) + this.tail.length - this.tailStart;
  }

  /** The line standing for the lines left out, when there are any. */
  private gapLine(): string {
    return `… ${this.dropped.toLocaleString('en-US')} lines left out here: this document keeps the first ${this.limits.first.toLocaleString('en-US')} and the last ${this.limits.last.toLocaleString('en-US')}. The run's details (Save as .log) and \`flowdeck logs ${this.runName}\` have them all.`;
  }

  text(): string {
    const parts = [this.head];
    if (this.first.length > 0) parts.push(this.first.join('\n'));
    if (this.dropped > 0) parts.push(this.gapLine());
    if (this.tail.length > this.tailStart) parts.push((this.tailStart === 0 ? this.tail : this.tail.slice(this.tailStart)).join('\n'));
    return `${parts.join('\n')}\n`;
  }

  /**
   * Document lines (0-based, the first line counted) where a task run's lines fold: each stretch of two or
   * more lines of one task run. Task runs going at once interleave, so one task run can have several.
   */
  foldingRanges(): { start: number; end: number }[] {
    const owners = [...this.firstOwners, ...(this.dropped > 0 ? [undefined] : []), ...this.tailOwners.slice(this.tailStart)];
    const out: { start: number; end: number }[] = [];
    let start = 0;
    for (let i = 1; i <= owners.length; i++) {
      const owner = owners[start];
      if (i < owners.length && owners[i] === owner) continue;
      if (owner !== undefined && i - 1 > start) out.push({ start: start + 1, end: i });
      start = i;
    }
    return out;
  }
}
