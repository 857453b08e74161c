/**
 * Calendar days as `YYYY-MM-DD` strings. YouTube Analytics counts days in Pacific Time, so "today" is
 * computed there; arithmetic on whole days is done in UTC where no day has 23 or 25 hours.
 */

export const YOUTUBE_TIME_ZONE = 'America/Los_Angeles';

const DAY_MS = 86_400_000;
const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

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
  // Parsed as an ISO date, not with Date.UTC, which reads the years 0 to 99 as 1900 to 1999.
  const ms = DATE_SHAPE.test(value) ? Date.parse(`${value}T00:00:00Z`) : NaN;
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

export function addDays(day: string, days: number): string {
  return dayOf(timeOf(day) + days * DAY_MS);
}

/**
 * Every day from `start` to `end`, both included, in order. Counted on numbers, not strings: a day string
 * past year 9999 or before year 0 is no longer `YYYY-MM-DD` and never compared greater than the end, and
 * the loop ran until memory ran out. Such a day is refused now.
 */
export function eachDay(start: string, end: string): string[] {
  const days: string[] = [];
  const last = timeOf(end);
  for (let time = timeOf(start); time <= last; time += DAY_MS) days.push(dayOf(time));
  return days;
}

/** Days between `start` and `end`, both included; 0 when `end` is before `start`. */
export function dayCount(start: string, end: string): number {
  return Math.max(0, Math.round((timeOf(end) - timeOf(start)) / DAY_MS) + 1);
}

/** Midnight UTC of a `YYYY-MM-DD` day, in ms. */
function timeOf(day: string): number {
  const time = DATE_SHAPE.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  if (Number.isNaN(time)) throw new RangeError(`Not a day written YYYY-MM-DD: ${JSON.stringify(day)}`);
  return time;
}

/** The `YYYY-MM-DD` day of a time; only years 0000 to 9999 can be written so. */
function dayOf(time: number): string {
  const year = new Date(time).getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new RangeError(`A day in the year ${year} cannot be written YYYY-MM-DD`);
  return new Date(time).toISOString().slice(0, 10);
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
  const length = dayCount(range.startDate, range.endDate);
  return { startDate: addDays(range.startDate, -length), endDate: addDays(range.startDate, -1) };
}
