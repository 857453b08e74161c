/**
 * Whether the store confirms this process's run writes. A run's records are sent in batches while its flow
 * goes on; with the database away, a task the flow completes meanwhile is on record nowhere, and should the
 * host fence itself before the database answers, the run's resume runs that task again. So the store is
 * said to be waiting — and runs start no new task run (runner.ts, worker/storeWait.ts) — once a write is
 * not confirmed within `boundMs`, or found the database unreachable; it stops waiting once every such
 * write is confirmed (or refused: the host fenced itself, its runs end).
 */
import type { Clock } from '../clock';
import type { Timers } from '../timers';

/** One write under way: it says when it found the database unreachable, and when it is settled (written or refused). */
export interface WriteUnderWay {
  unreachable(): void;
  settled(): void;
}

export class UnconfirmedWrites {
  /** Writes under way, by when each began; oldest first (a Map keeps insertion order). */
  private readonly outstanding = new Map<number, number>();
  /** Writes that found the database unreachable and are not settled yet. */
  private readonly unreachable = new Set<number>();
  private next = 0;
  private timer: unknown;
  private waitingNow = false;
  private readonly listeners = new Set<(waiting: boolean) => void>();

  constructor(
    private readonly boundMs: number,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {}

  get waiting(): boolean {
    return this.waitingNow;
  }

  /** A write goes out. */
  begin(): WriteUnderWay {
    const id = this.next++;
    this.outstanding.set(id, this.clock.now());
    if (this.outstanding.size === 1) this.arm();
    return {
      unreachable: () => {
        if (!this.outstanding.has(id)) return;
        this.unreachable.add(id);
        this.update();
      },
      settled: () => {
        if (!this.outstanding.delete(id)) return;
        this.unreachable.delete(id);
        this.arm();
        this.update();
      },
    };
  }

  /** Calls `listener(waiting)` each time the store starts or stops waiting, until unsubscribed. */
  onChange(listener: (waiting: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Checks again when the oldest write under way passes the bound. */
  private arm(): void {
    this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const oldest = this.outstanding.values().next();
    if (oldest.done) return;
    this.timer = this.timers.setTimeout(
      () => {
        this.timer = undefined;
        this.update();
        // Not past the bound yet (a timer may fire a little early): look again when it is.
        if (!this.waitingNow) this.arm();
      },
      Math.max(0, oldest.value + this.boundMs - this.clock.now()),
    );
  }

  private update(): void {
    const oldest = this.outstanding.values().next();
    const waiting = this.unreachable.size > 0 || (!oldest.done && this.clock.now() - oldest.value >= this.boundMs);
    if (waiting === this.waitingNow) return;
    this.waitingNow = waiting;
    for (const l of this.listeners) l(waiting);
  }
}
