/**
 * When a schedule's slots are: pure functions of the schedule and a time, so every process sharing a
 * store computes the same slots, and tests compute DST changes, catchup and overlap without waiting.
 * Cron slots come from croner (in the schedule's timezone; a time skipped by a DST change runs at the
 * first valid time after it, a repeated time runs once); interval slots are whole multiples of the
 * interval since the Unix epoch.
 */
import type { Cron } from 'croner';
import { parseCron, type Schedule } from './scheduleSpec';

export class SlotTimes {
  private readonly cron?: Cron;
  private readonly intervalMs?: number;

  constructor(schedule: Schedule) {
    if (schedule.cron !== undefined) this.cron = parseCron(schedule.cron, schedule.timezone);
    else this.intervalMs = (schedule.intervalSeconds ?? 0) * 1000;
  }

  /** The first slot strictly after `after` (epoch ms), or undefined when there is none. */
  next(after: number): number | undefined {
    if (this.intervalMs) return (Math.floor(after / this.intervalMs) + 1) * this.intervalMs;
    return this.cron!.nextRun(new Date(after))?.getTime();
  }

  /** The latest slot at or before `at`, or undefined when there is none. */
  latest(at: number): number | undefined {
    if (this.intervalMs) return Math.floor(at / this.intervalMs) * this.intervalMs;
    // previousRuns looks strictly before its reference: one millisecond later includes `at` itself.
    return this.cron!.previousRuns(1, new Date(at + 1))[0]?.getTime();
  }

  /** The next `n` slots after `after`. */
  upcoming(after: number, n: number): number[] {
    const out: number[] = [];
    for (let t = this.next(after); t !== undefined && out.length < n; t = this.next(t)) out.push(t);
    return out;
  }
}
