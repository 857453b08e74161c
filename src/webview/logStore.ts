/**
 * The log panel's data side, free of DOM so it is tested under node: a compact store of display rows
 * and the arithmetic that decides which rows are in the DOM for a scroll position.
 *
 * A run can write hundreds of thousands of lines. Objects per line would cost ~200 bytes each plus GC
 * pauses; here a row is a slot in typed arrays plus one string, and only the visible window (a few
 * dozen rows) ever becomes DOM.
 */
import { LOG_LEVELS } from '../engine/logLevels';
import type { LogLevel } from '../engine/records';
import type { LogLine } from './protocol';

/** Beyond this many rows the oldest are dropped (a tenth at a time, so dropping is rare). */
export const MAX_ROWS = 1_000_000;

/** Set on the level byte of a row that continues a multi-line message (a traceback's later lines). */
const CONTINUATION = 0x80;

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `HH:MM:SS.mmm` in local time, as Prefect prints it. */
export function formatLogTime(ts: number): string {
  const d = new Date(ts);
  const ms = d.getMilliseconds();
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

/** The whole line in Prefect's format: `01:50:04.289 | INFO    | prefect.engine - Created flow run…`. */
export function formatLogLine(line: LogLine): string {
  return `${formatLogTime(line.ts)} | ${line.level.padEnd(7)} | ${line.source} - ${line.message}`;
}

export interface DisplayRow {
  ts: number;
  level: LogLevel;
  /** False for the second and later lines of a multi-line message, which show no time or level. */
  first: boolean;
  /** `source - message` for a first row, the continued text otherwise. */
  text: string;
  /** The tag the line was appended with (0: none), e.g. which task run wrote it. */
  tag: number;
}

/** Which lines show: at or above a level, with one of some tags, containing some text (case-insensitive). */
export interface RowFilter {
  minLevel: LogLevel;
  /** null: any tag. */
  tags: ReadonlySet<number> | null;
  /** Empty: any text. A multi-line message shows whole when any of its lines contains the text. */
  text: string;
}

const NO_FILTER: RowFilter = { minLevel: 'DEBUG', tags: null, text: '' };

export class LogStore {
  private ts = new Float64Array(1024);
  private levels = new Uint8Array(1024);
  private tags = new Uint32Array(1024);
  private texts: string[] = [];
  private size = 0;
  /** Rows matching the filter, kept only while a filter is on. */
  private filtered: Uint32Array | null = null;
  private filteredSize = 0;
  private filter: RowFilter = NO_FILTER;
  private minLevel = 0;
  private needle = '';
  /** Lines (not rows) received, including dropped ones. */
  lineCount = 0;
  droppedRows = 0;
  readonly countsByLevel: number[] = LOG_LEVELS.map(() => 0);

  /** Rows currently shown (after the filter). */
  get length(): number {
    return this.filtered ? this.filteredSize : this.size;
  }

  get totalRows(): number {
    return this.size;
  }

  clear(): void {
    this.size = 0;
    this.texts = [];
    this.lineCount = 0;
    this.droppedRows = 0;
    this.countsByLevel.fill(0);
    if (this.filtered) this.filteredSize = 0;
  }

  /** Appends lines; `tagOf` gives each a tag the filter can select by (0: none). */
  append(lines: readonly LogLine[], tagOf?: (line: LogLine) => number): void {
    for (const line of lines) {
      const level = LOG_LEVELS.indexOf(line.level);
      const levelIndex = level < 0 ? 1 : level;
      const tag = tagOf ? tagOf(line) : 0;
      this.lineCount += 1;
      this.countsByLevel[levelIndex]! += 1;
      const from = this.size;
      const head = `${line.source} - ${line.message}`;
      if (head.indexOf('\n') < 0) {
        this.push(line.ts, levelIndex, head, tag);
      } else {
        // Each line of a traceback gets its own row, so rows keep one height and the window maths stays exact.
        const parts = head.replace(/\r\n?/g, '\n').split('\n');
        parts.forEach((part, i) => this.push(line.ts, i === 0 ? levelIndex : levelIndex | CONTINUATION, part, tag));
      }
      if (this.filtered && this.matches(from, this.size)) for (let row = from; row < this.size; row++) this.pushFiltered(row);
    }
    if (this.size > MAX_ROWS) this.dropOldest(this.size - MAX_ROWS + Math.floor(MAX_ROWS / 10));
  }

  private push(ts: number, level: number, text: string, tag: number): void {
    if (this.size === this.ts.length) {
      const ts2 = new Float64Array(this.ts.length * 2);
      ts2.set(this.ts);
      this.ts = ts2;
      const lv2 = new Uint8Array(this.levels.length * 2);
      lv2.set(this.levels);
      this.levels = lv2;
      const tg2 = new Uint32Array(this.tags.length * 2);
      tg2.set(this.tags);
      this.tags = tg2;
    }
    this.ts[this.size] = ts;
    this.levels[this.size] = level;
    this.tags[this.size] = tag;
    this.texts.push(text);
    this.size += 1;
  }

  /** Whether the line made of rows [from, to) passes the filter. */
  private matches(from: number, to: number): boolean {
    if ((this.levels[from]! & ~CONTINUATION) < this.minLevel) return false;
    if (this.filter.tags && !this.filter.tags.has(this.tags[from]!)) return false;
    if (this.needle === '') return true;
    for (let row = from; row < to; row++) if (this.texts[row]!.toLowerCase().includes(this.needle)) return true;
    return false;
  }

  private pushFiltered(row: number): void {
    const f = this.filtered!;
    if (this.filteredSize === f.length) {
      const next = new Uint32Array(f.length * 2);
      next.set(f);
      this.filtered = next;
    }
    this.filtered![this.filteredSize++] = row;
  }

  private dropOldest(count: number): void {
    // Whole lines only: a continuation row left at the top would lose its line's first row.
    while (count < this.size && (this.levels[count]! & CONTINUATION) !== 0) count++;
    this.ts.copyWithin(0, count, this.size);
    this.levels.copyWithin(0, count, this.size);
    this.tags.copyWithin(0, count, this.size);
    this.texts.splice(0, count);
    this.size -= count;
    this.droppedRows += count;
    if (this.filtered) this.rebuildFilter();
  }

  /** Show only rows at or above `level`; DEBUG shows everything. */
  setMinLevel(level: LogLevel): void {
    this.setFilter({ ...this.filter, minLevel: level });
  }

  setFilter(filter: RowFilter): void {
    this.filter = { ...filter };
    this.minLevel = Math.max(0, LOG_LEVELS.indexOf(filter.minLevel));
    this.needle = filter.text.toLowerCase();
    if (this.minLevel <= 0 && filter.tags === null && this.needle === '') {
      this.filtered = null;
      return;
    }
    this.rebuildFilter();
  }

  private rebuildFilter(): void {
    this.filtered = new Uint32Array(Math.max(1024, this.size));
    this.filteredSize = 0;
    let from = 0;
    for (let row = 1; row <= this.size; row++) {
      if (row < this.size && (this.levels[row]! & CONTINUATION) !== 0) continue;
      if (this.matches(from, row)) for (let r = from; r < row; r++) this.filtered[this.filteredSize++] = r;
      from = row;
    }
  }

  /** Row `index` of the shown rows. */
  row(index: number): DisplayRow {
    const at = this.filtered ? this.filtered[index]! : index;
    const level = this.levels[at]!;
    return { ts: this.ts[at]!, level: LOG_LEVELS[level & ~CONTINUATION]!, first: (level & CONTINUATION) === 0, text: this.texts[at]!, tag: this.tags[at]! };
  }
}

export interface WindowInput {
  scrollTop: number;
  viewportHeight: number;
  rowHeight: number;
  total: number;
  /** Rows rendered beyond each edge so a fast scroll doesn't show blank space for a frame. */
  overscan: number;
  /**
   * Browsers cap an element's height (Chromium ~33.5M px, Firefox ~17.9M px). Above this, scrolling is
   * scaled: the scrollbar spans all rows, but each pixel of scroll covers more than a pixel of rows.
   */
  maxContentHeight: number;
}

export interface RowWindow {
  /** First and one-past-last row index to render. */
  start: number;
  end: number;
  /** Top of row `start`, in px from the top of the scrolled content. */
  top: number;
  /** Height to give the scrolled content. */
  contentHeight: number;
}

export const DEFAULT_MAX_CONTENT_HEIGHT = 8_000_000;

/** Which rows to render for a scroll position. Pure arithmetic: the DOM part only applies the answer. */
export function visibleWindow(input: WindowInput): RowWindow {
  const { scrollTop, viewportHeight, rowHeight, total, overscan, maxContentHeight } = input;
  const fullHeight = total * rowHeight;
  if (total === 0 || rowHeight <= 0) return { start: 0, end: 0, top: 0, contentHeight: 0 };
  const contentHeight = Math.min(fullHeight, maxContentHeight);
  const maxScroll = Math.max(0, contentHeight - viewportHeight);
  const clampedScroll = Math.min(Math.max(0, scrollTop), maxScroll);
  // Map the real scroll position onto the virtual (unscaled) one; identical when nothing is scaled.
  const virtualMax = Math.max(0, fullHeight - viewportHeight);
  const virtualTop = maxScroll === 0 ? 0 : (clampedScroll / maxScroll) * virtualMax;
  const firstVisible = Math.floor(virtualTop / rowHeight);
  const lastVisible = Math.ceil((virtualTop + viewportHeight) / rowHeight);
  const start = Math.max(0, firstVisible - overscan);
  const end = Math.min(total, lastVisible + overscan);
  return { start, end, top: clampedScroll + (start * rowHeight - virtualTop), contentHeight };
}
