/**
 * Calendar days as `YYYY-MM-DD` strings. YouTube Analytics counts days in Pacific Time, so "today" is
 * computed there; arithmetic on whole days is done in UTC where no day has 23 or 25 hours.
 */

export const YOUTUBE_TIME_ZONE = 'America/Los_Angeles';

const DAY_MS = 86_400_000;
const DATE_SHAPE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Made on first use: a formatter for a named time zone readies ICU's zone and calendar data, ~35 ms of
 * CPU on a busy 2-core machine — and every CLI command and the extension load this module (the built-in
 * flows' parameters), most of them never to format a Pacific day.
 */
let pacificFormat: Intl.DateTimeFormat | undefined;

/** The calendar day it is in Pacific Time at `now`. */
export function pacificDay(now: Date): string {
  pacificFormat ??= new Intl.DateTimeFormat('en-US', { timeZone: YOUTUBE_TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
  const parts = Object.fromEntries(pacificFormat.formatToParts(now).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** True for a real calendar day written `YYYY-MM-DD` (rejects 2024-02-30, 2024-1-5, ...). */
export function isCalendarDay(value: string): boolean {
  const m = DATE_SHAPE.exec(value);
  if (!m) return false;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === value;
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `start` to `end`, both included, in order. */
export function eachDay(start: string, end: string): string[] {
  const days: string[] = [];
  for (let day = start; day <= end; day = addDays(day, 1)) days.push(day);
  return days;
}

export interface DayRange {
  startDate: string;
  endDate: string;
}

/** The last `count` complete Pacific days before `now`: yesterday and the `count - 1` days before it. */
export function lastCompleteDays(now: Date, count = 28): DayRange {
  const yesterday = addDays(pacificDay(now), -1);
  return { startDate: addDays(yesterday, -(count - 1)), endDate: yesterday };
}

/** The range of the same length that ends the day before `range` starts. */
export function previousRange(range: DayRange): DayRange {
  const length = eachDay(range.startDate, range.endDate).length;
  return { startDate: addDays(range.startDate, -length), endDate: addDays(range.startDate, -1) };
}
