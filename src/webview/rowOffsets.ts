/**
 * Where each row starts when rows have different heights (wrapped log lines): prefix sums, and the rows to
 * render for a scroll position. Pure (no DOM), tested under node. Like visibleWindow for equal rows, a
 * content taller than browsers allow is scaled: the scrollbar spans every row.
 */

export class RowOffsets {
  private tops = new Float64Array(1024);
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Total height of the rows. */
  get height(): number {
    return this.tops[this.count] ?? 0;
  }

  reset(): void {
    this.count = 0;
    this.tops[0] = 0;
  }

  push(height: number): void {
    if (this.count + 1 >= this.tops.length) {
      const next = new Float64Array(this.tops.length * 2);
      next.set(this.tops);
      this.tops = next;
    }
    this.tops[this.count + 1] = this.tops[this.count]! + height;
    this.count += 1;
  }

  top(index: number): number {
    return this.tops[Math.min(Math.max(0, index), this.count)]!;
  }

  /** The row that covers offset `y` (the last row for y past the end). */
  rowAt(y: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.tops[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }
}

export interface OffsetWindow {
  start: number;
  end: number;
  /** Top of row `start`, in px of the scrolled content. */
  top: number;
  contentHeight: number;
}

export function offsetWindow(rows: RowOffsets, scrollTop: number, viewportHeight: number, overscan: number, maxContentHeight: number): OffsetWindow {
  const full = rows.height;
  if (rows.length === 0) return { start: 0, end: 0, top: 0, contentHeight: 0 };
  const contentHeight = Math.min(full, maxContentHeight);
  const maxScroll = Math.max(0, contentHeight - viewportHeight);
  const clamped = Math.min(Math.max(0, scrollTop), maxScroll);
  const virtualMax = Math.max(0, full - viewportHeight);
  const virtualTop = maxScroll === 0 ? 0 : (clamped / maxScroll) * virtualMax;
  const first = rows.rowAt(virtualTop);
  const last = rows.rowAt(virtualTop + viewportHeight);
  const start = Math.max(0, first - overscan);
  const end = Math.min(rows.length, last + 1 + overscan);
  return { start, end, top: clamped + (rows.top(start) - virtualTop), contentHeight };
}
