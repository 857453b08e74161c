/**
 * Parsed cron expressions shared by every schedule with the same expression and timezone. A croner `Cron`
 * holds its pattern as per-instance arrays (some 80 KB), so `serve` with thousands of schedules held
 * hundreds of MB of identical copies. Sharing is safe because the instances here are parsed paused, with no
 * callback, and are only asked `nextRun(date)` / `previousRuns(n, date)`: with a date given, croner reads
 * neither the run state (`previousRun`, `currentRun`) nor changes anything on the instance. Never pause,
 * resume, stop or trigger one. Entries are held weakly: a Cron no schedule uses any more is collected and
 * its entry goes, so the cache is bounded by the schedules alive.
 */
import type { Cron } from 'croner';
import { parseCron } from './scheduleSpec';

export class SharedCrons {
  private readonly crons = new Map<string, WeakRef<Cron>>();
  private readonly gone = new FinalizationRegistry<string>((key) => {
    if (this.crons.get(key)?.deref() === undefined) this.crons.delete(key);
  });

  /** `parse` is parseCron (its options are fixed, so expression and timezone name a Cron); tests count calls. */
  constructor(private readonly parse: (expression: string, timezone?: string) => Cron = parseCron) {}

  /** The Cron for `expression` in `timezone` (undefined: the process's local time, apart from 'UTC'). */
  get(expression: string, timezone?: string): Cron {
    const key = JSON.stringify([expression, timezone ?? null]);
    const known = this.crons.get(key)?.deref();
    if (known) return known;
    const cron = this.parse(expression, timezone);
    this.crons.set(key, new WeakRef(cron));
    this.gone.register(cron, key);
    return cron;
  }
}

/** The one every SlotTimes uses unless told otherwise. */
export const sharedCrons = new SharedCrons();
