/**
 * Collects output lines and hands them to the channel in one `append` per interval (50 ms by default):
 * a run with 20,000 tasks writes tens of thousands of lines, and one IPC call per line would flood the
 * extension host.
 */
import { Throttle, realTimers, type Timers } from '../util/throttle';

export const OUTPUT_BATCH_MS = 50;

export class LineBatcher {
  private pending: string[] = [];
  private readonly throttle: Throttle;

  constructor(
    private readonly sink: (text: string) => void,
    intervalMs = OUTPUT_BATCH_MS,
    timers: Timers = realTimers,
  ) {
    this.throttle = new Throttle(intervalMs, () => this.drain(), timers);
  }

  push(line: string): void {
    this.pending.push(line);
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
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.sink(text);
  }
}
