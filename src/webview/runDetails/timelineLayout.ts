/**
 * The timeline's layout: a pure function from task runs (and subflow runs), each with the states it went
 * through, to bars on one time axis. A bar is split into segments — waiting to start, each attempt
 * running, each wait before a retry — and says how it ended (cached runs marked). Up to a few hundred
 * items get a row each, a Gantt chart; more are packed into as few rows as never overlap, so 20,000 task
 * runs of a map with ten at a time need ten rows. No DOM: tests run it under node, the view draws it.
 */
import type { StateName } from '../../engine/states';
import type { TimelineItem } from './protocol';

export type SegmentKind = 'waiting' | 'running' | 'retryWait';

export interface Segment {
  /** Epoch ms. */
  start: number;
  end: number;
  kind: SegmentKind;
  /** The attempt a running segment is. */
  attempt?: number;
}

export type Outcome = 'going' | 'completed' | 'cached' | 'failed' | 'crashed' | 'cancelled';

export interface Bar {
  /** Index of the item in the input. */
  item: number;
  row: number;
  start: number;
  end: number;
  segments: Segment[];
  outcome: Outcome;
  attempts: number;
}

export interface TimelineLayout {
  bars: Bar[];
  rowCount: number;
  /** Bar indices of each row, by start (bars of a row never overlap, so by end too). */
  byRow: number[][];
  /** The axis: earliest start and latest end (now, while something is going). */
  start: number;
  end: number;
  /** True when rows are shared (too many items for a row each). */
  packed: boolean;
}

/** Items up to this many get a row each. */
export const ROW_PER_ITEM_LIMIT = 200;

const WAITING: ReadonlySet<StateName> = new Set(['Scheduled', 'Late', 'Pending', 'Paused', 'Suspended']);
const RUNNING: ReadonlySet<StateName> = new Set(['Running', 'Retrying', 'Cancelling']);

function outcomeOf(name: StateName): Outcome {
  switch (name) {
    case 'Completed':
      return 'completed';
    case 'Cached':
      return 'cached';
    case 'Failed':
    case 'TimedOut':
      return 'failed';
    case 'Crashed':
      return 'crashed';
    case 'Cancelled':
      return 'cancelled';
    default:
      return 'going';
  }
}

/** One item's bar (row still unset): its segments between state changes, its end, its attempts. */
export function barOf(item: TimelineItem, index: number, now: number): Bar {
  const states = item.states;
  const first = states[0];
  if (!first) return { item: index, row: 0, start: now, end: now, segments: [], outcome: 'going', attempts: 0 };
  const segments: Segment[] = [];
  let attempts = 0;
  let end = now;
  let outcome: Outcome = 'going';
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    const o = outcomeOf(s.name);
    if (o !== 'going') {
      outcome = o;
      end = s.ts;
      break;
    }
    // The last state lasts until now; times never run backwards on the axis.
    const until = Math.max(s.ts, states[i + 1]?.ts ?? now);
    if (RUNNING.has(s.name)) {
      if (s.name !== 'Cancelling') attempts = s.attempt ?? attempts + 1;
      segments.push({ start: s.ts, end: until, kind: 'running', attempt: attempts });
    } else if (s.name === 'AwaitingRetry') {
      segments.push({ start: s.ts, end: until, kind: 'retryWait' });
    } else if (WAITING.has(s.name)) {
      segments.push({ start: s.ts, end: until, kind: 'waiting' });
    }
  }
  return { item: index, row: 0, start: first.ts, end: Math.max(first.ts, end), segments, outcome, attempts };
}

/** A binary min-heap of [end, row]: the row that frees up first is on top. */
class RowHeap {
  private readonly ends: number[] = [];
  private readonly rows: number[] = [];

  get size(): number {
    return this.ends.length;
  }

  peekEnd(): number {
    return this.ends[0]!;
  }

  push(end: number, row: number): void {
    this.ends.push(end);
    this.rows.push(row);
    let i = this.ends.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): number {
    const row = this.rows[0]!;
    const lastEnd = this.ends.pop()!;
    const lastRow = this.rows.pop()!;
    if (this.ends.length > 0) {
      this.ends[0] = lastEnd;
      this.rows[0] = lastRow;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.ends.length && this.less(l, m)) m = l;
        if (r < this.ends.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return row;
  }

  private less(a: number, b: number): boolean {
    return this.ends[a]! < this.ends[b]! || (this.ends[a] === this.ends[b] && this.rows[a]! < this.rows[b]!);
  }

  private swap(a: number, b: number): void {
    [this.ends[a], this.ends[b]] = [this.ends[b]!, this.ends[a]!];
    [this.rows[a], this.rows[b]] = [this.rows[b]!, this.rows[a]!];
  }
}

/**
 * Lays the items out: bars in start order (ties in input order); a row each up to `rowPerItemLimit`
 * items, else each bar on the row that became free first (a new row when none is free by its start).
 */
export function layoutTimeline(items: readonly TimelineItem[], now: number, options: { rowPerItemLimit?: number } = {}): TimelineLayout {
  const bars = items.map((item, i) => barOf(item, i, now));
  const order = bars.map((_, i) => i).sort((a, b) => bars[a]!.start - bars[b]!.start || a - b);
  const packed = items.length > (options.rowPerItemLimit ?? ROW_PER_ITEM_LIMIT);
  const byRow: number[][] = [];
  if (!packed) {
    order.forEach((b, row) => {
      bars[b]!.row = row;
      byRow.push([b]);
    });
  } else {
    const heap = new RowHeap();
    for (const b of order) {
      const bar = bars[b]!;
      const row = heap.size > 0 && heap.peekEnd() <= bar.start ? heap.pop() : byRow.length;
      if (row === byRow.length) byRow.push([]);
      bar.row = row;
      byRow[row]!.push(b);
      heap.push(bar.end, row);
    }
  }
  let start = Infinity;
  let end = -Infinity;
  for (const bar of bars) {
    start = Math.min(start, bar.start);
    end = Math.max(end, bar.end);
  }
  if (bars.length === 0) start = end = now;
  return { bars, rowCount: byRow.length, byRow, start, end, packed };
}

/** The bar of `row` under time `t` (within `slackMs` of its ends), if any. */
export function barAt(layout: TimelineLayout, row: number, t: number, slackMs: number): number | undefined {
  const list = layout.byRow[row];
  if (!list || list.length === 0) return undefined;
  // The last bar starting at or before t + slack; bars of a row never overlap, so it is the only candidate
  // besides its successor within the slack.
  let lo = 0;
  let hi = list.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (layout.bars[list[mid]!]!.start <= t + slackMs) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  let best: number | undefined;
  let bestDistance = Infinity;
  for (const k of [found, found - 1]) {
    if (k < 0) continue;
    const bar = layout.bars[list[k]!]!;
    const distance = t < bar.start ? bar.start - t : t > bar.end ? t - bar.end : 0;
    if (distance <= slackMs && distance < bestDistance) {
      best = list[k]!;
      bestDistance = distance;
    }
  }
  return best;
}

/** The first bar of a row that ends at or after `t` (bars of a row are ordered by start and by end). */
export function firstBarEndingAfter(layout: TimelineLayout, row: number, t: number): number {
  const list = layout.byRow[row] ?? [];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (layout.bars[list[mid]!]!.end < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
