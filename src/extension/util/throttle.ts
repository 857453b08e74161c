/**
 * Runs a callback at most once per interval however often it is asked for: the first request after a
 * quiet spell runs on the next tick, later ones are folded into one run when the interval is up. Busy
 * runs emit thousands of events a second; views redraw a few times a second.
 */

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Throttle {
  private timer: unknown;
  private last = Number.NEGATIVE_INFINITY;
  private disposed = false;

  constructor(
    private readonly intervalMs: number,
    private readonly run: () => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Asks for a run; several requests before it happens make one run. */
  schedule(): void {
    if (this.timer !== undefined || this.disposed) return;
    const wait = Math.max(0, this.last + this.intervalMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => this.fire(), wait);
  }

  /** Runs now if a run is pending (before showing something that must be complete). */
  flush(): void {
    if (this.timer !== undefined) this.runNow();
  }

  /**
   * Runs now whether or not a run is pending (a pending one is folded into it): a view that starts empty
   * gets its first push even when nothing asked for one — a run whose only children are subflows has no task
   * run to ask for its timeline.
   */
  runNow(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.fire();
  }

  dispose(): void {
    this.flush();
    this.disposed = true;
  }

  private fire(): void {
    this.timer = undefined;
    this.last = this.timers.now();
    this.run();
  }
}
