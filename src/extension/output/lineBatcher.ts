/**
 * Collects output lines and hands them to the channel in one `append` per interval (50 ms by default):
 * a run with 20,000 tasks writes tens of thousands of lines, and one IPC call per line would flood the
 * extension host. When lines come faster than the channel can show (more than `maxLines` in one
 * interval), the oldest are skipped and a line says how many: the output keeps the tail, the run's
 * log (Show Logs) keeps everything.
 */
import { Throttle, realTimers, type Timers } from '../util/throttle';

export const OUTPUT_BATCH_MS = 50;
export const OUTPUT_MAX_LINES = 5000;

export class LineBatcher {
  private pending: string[] = [];
  private skipped = 0;
  private readonly throttle: Throttle;

  constructor(
    private readonly sink: (text: string) => void,
    intervalMs = OUTPUT_BATCH_MS,
    timers: Timers = realTimers,
    private readonly maxLines = OUTPUT_MAX_LINES,
  ) {
    this.throttle = new Throttle(intervalMs, () => this.drain(), timers);
  }

  push(line: string): void {
    this.pending.push(line);
    // Dropping in halves keeps a burst of any size linear.
    if (this.pending.length >= 2 * this.maxLines) {
      const drop = this.pending.length - this.maxLines;
      this.pending = this.pending.slice(drop);
      this.skipped += drop;
    }
    this.throttle.schedule();
  }

  /** Writes whatever is pending now (before printing something that must come after it). */
  flush(): void {
    this.throttle.flush();
  }

  dispose(): void {
    this.throttle.dispose();
  }

  private drain(): void {
    if (this.pending.length === 0) return;
    if (this.pending.length > this.maxLines) {
      const drop = this.pending.length - this.maxLines;
      this.pending = this.pending.slice(drop);
      this.skipped += drop;
    }
    const note = this.skipped > 0 ? `… ${this.skipped.toLocaleString('en-US')} lines skipped: a run logs faster than this output can show them; Show Logs has every line\n` : '';
    const text = `${note}${this.pending.join('\n')}\n`;
    this.pending = [];
    this.skipped = 0;
    this.sink(text);
  }
}
