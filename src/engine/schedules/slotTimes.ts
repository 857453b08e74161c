/**
 * When a schedule's slots are: pure functions of the schedule and a time, so every process sharing a
 * store computes the same slots, and tests compute DST changes, catchup and overlap without waiting.
 * Cron slots come from croner, in the schedule's timezone. Across a DST change a local time the clocks
 * skip runs at the first valid time after the gap (once, however many of the cron's times fell in it),
 * and a local time that happens twice runs once, at its first occurrence — croner does so for one time in
 * the changed hour, not for several (`0,30 2 * * *`): those two cases are settled here, croner's own
 * answers otherwise. Interval slots are whole multiples of the interval since the Unix epoch.
 */
import type { Cron } from 'croner';
import type { Schedule } from './scheduleSpec';
import { sharedCrons, type SharedCrons } from './sharedCrons';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** How far back a repeated local time may have happened first: the DST shifts in use (30 min, 1 h, 2 h). */
const SHIFTS = [30 * MINUTE, 60 * MINUTE, 120 * MINUTE];

/**
 * One wall-clock formatter per timezone for all schedules: each holds some 30 KB outside the JS heap (ICU),
 * and formatting keeps no state. Bounded by the timezones Node knows.
 */
const wallClocks = new Map<string | undefined, Intl.DateTimeFormat>();
function wallClock(timezone: string | undefined): Intl.DateTimeFormat {
  let clock = wallClocks.get(timezone);
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    wallClocks.set(timezone, clock);
  }
  return clock;
}

export class SlotTimes {
  private readonly cron?: Cron;
  /**
   * The same pattern read on a clock without DST: which local times the pattern names, gap or not. Only
   * looked at across a DST gap, so only parsed then.
   */
  private wallCronParsed?: Cron;
  private readonly wall?: Intl.DateTimeFormat;
  private readonly intervalMs?: number;

  /** `crons`: where parsed expressions come from, shared by all schedules by default (tests count parses). */
  constructor(private readonly schedule: Schedule, private readonly crons: SharedCrons = sharedCrons) {
    if (schedule.cron !== undefined) {
      this.cron = crons.get(schedule.cron, schedule.timezone);
      this.wall = wallClock(schedule.timezone);
    } else this.intervalMs = (schedule.intervalSeconds ?? 0) * 1000;
  }

  /** The first slot strictly after `after` (epoch ms), or undefined when there is none. */
  next(after: number): number | undefined {
    if (this.intervalMs) return (Math.floor(after / this.intervalMs) + 1) * this.intervalMs;
    let from = after;
    let next: number | undefined;
    // A local time happening a second time (the clocks went back) was its slot the first time.
    for (let i = 0; i < 8; i++) {
      next = this.cron!.nextRun(new Date(from))?.getTime();
      if (next === undefined || !this.repeated(next)) break;
      from = next;
    }
    const gap = this.skippedSlot(after, next ?? after + 366 * DAY);
    return gap !== undefined && (next === undefined || gap < next) ? gap : next;
  }

  /** The latest slot at or before `at`, or undefined when there is none. */
  latest(at: number): number | undefined {
    if (this.intervalMs) return Math.floor(at / this.intervalMs) * this.intervalMs;
    let before = at + 1;
    let latest: number | undefined;
    for (let i = 0; i < 8; i++) {
      // previousRuns looks strictly before its reference: one millisecond later includes `at` itself.
      latest = this.cron!.previousRuns(1, new Date(before))[0]?.getTime();
      if (latest === undefined || !this.repeated(latest)) break;
      before = latest;
    }
    const gap = this.skippedSlot(latest ?? at - 366 * DAY, at + 1);
    return gap !== undefined && (latest === undefined || gap > latest) ? gap : latest;
  }

  /** The next `n` slots after `after`. */
  upcoming(after: number, n: number): number[] {
    const out: number[] = [];
    for (let t = this.next(after); t !== undefined && out.length < n; t = this.next(t)) out.push(t);
    return out;
  }

  private get wallCron(): Cron {
    return (this.wallCronParsed ??= this.crons.get(this.schedule.cron!, 'UTC'));
  }

  /** Local wall-clock time of `t` in the schedule's timezone, as if it were UTC (epoch ms). */
  private wallTime(t: number): number {
    const p = Object.fromEntries(this.wall!.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (t % 1000 + 1000) % 1000;
  }

  /** Whether local time of `t` happened already a DST shift earlier (the clocks went back). */
  private repeated(t: number): boolean {
    const local = this.wallTime(t);
    return SHIFTS.some((shift) => this.wallTime(t - shift) === local);
  }

  /**
   * The first instant after a DST gap (the clocks went forward) within (from, to) in which the pattern
   * named a local time — the slot those skipped times run at — or undefined. Offsets are looked at once a
   * day and a change found is narrowed down to the minute.
   */
  private skippedSlot(from: number, to: number): number | undefined {
    const offset = (t: number): number => this.wallTime(t) - t;
    for (let a = from; a < to; a += DAY) {
      const b = Math.min(a + DAY, to);
      if (offset(b) <= offset(a)) continue;
      // The clocks went forward in (a, b]: the first instant of the new offset.
      let lo = a;
      let hi = b;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offset(mid) === offset(a)) lo = mid;
        else hi = mid;
      }
      const skippedFrom = this.wallTime(lo) + 1;
      const skippedTo = this.wallTime(hi);
      const named = this.wallCron.nextRun(new Date(skippedFrom - 1))?.getTime();
      if (named !== undefined && named < skippedTo && hi > from && hi < to) return hi;
    }
    return undefined;
  }
}
