/**
 * A first-in first-out queue whose shift is O(1): an array read from a head index, compacted once the part
 * taken off is most of it. Array.prototype.shift moves every item left: taking 50,000 queued appends off one
 * by one (a Postgres run's backlog at its bound) took seconds of the host's thread; this, under a millisecond.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The first item, left in the queue. */
  peek(): T | undefined {
    return this.items[this.head];
  }

  /** The first item, taken off. */
  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    // Let go of it now, not at the next compaction.
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** Items taken off before the array is compacted (and then only once they are half of it): each copy is paid for by as many shifts. */
const COMPACT_AFTER = 4096;
