/**
 * The cron presets of Schedule Flow… (hourly, daily at a time, weekly on a day at a time) as cron
 * expressions croner reads, so a preset is saved like any expression and shows its next times the same way.
 */
import { ScheduleError } from './scheduleSpec';

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type CronPreset = { kind: 'hourly' } | { kind: 'daily'; time: string } | { kind: 'weekly'; day: Weekday; time: string };

const TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/** `09:00` → [9, 0]; throws ScheduleError naming the expected form. */
export function parseTimeOfDay(text: string): [hour: number, minute: number] {
  const m = TIME.exec(text.trim());
  if (!m) throw new ScheduleError(`a time of day is HH:MM on a 24-hour clock, like 09:00 or 17:30; got '${text}'`);
  return [Number(m[1]), Number(m[2])];
}

export function presetCron(preset: CronPreset): string {
  if (preset.kind === 'hourly') return '0 * * * *';
  const [hour, minute] = parseTimeOfDay(preset.time);
  if (preset.kind === 'daily') return `${minute} ${hour} * * *`;
  return `${minute} ${hour} * * ${WEEKDAYS.indexOf(preset.day)}`;
}

/** The next `count` times of a schedule, as the user's clock shows them: `Tue 2 Dec 09:00`. */
export function nextTimesText(slots: readonly number[], locale?: string): string {
  const format = new Intl.DateTimeFormat(locale, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return slots.map((t) => format.format(t)).join(', ');
}
