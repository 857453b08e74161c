/**
 * What a flow's row in the Flows view says of its schedules: when it runs next, or why it does not. A
 * schedule the window's scheduler refuses (its parameters hold a secret the editor knows: withoutSecrets in
 * scheduler.ts, as `flowdeck schedules` lists it `refused`) has no next time to show, and says it is refused
 * instead, or the view would promise a run that never comes.
 */
import type { ScheduleView } from '../../engine/schedules/scheduleEntries';

export const REFUSED_TEXT = 'schedule refused: parameters hold a secret';

/** The row's description: the earliest next time (with how many of its schedules are refused), else refused or paused. */
export function flowScheduleDescription(schedules: readonly ScheduleView[], clockTime: (ms: number) => string): string {
  const next = Math.min(...schedules.filter((v) => v.next !== undefined).map((v) => v.next!));
  const refused = schedules.filter((v) => v.refused !== undefined).length;
  if (Number.isFinite(next)) return refused === 0 ? `next ${clockTime(next)}` : `next ${clockTime(next)} (${refused} refused: parameters hold a secret)`;
  return refused > 0 ? REFUSED_TEXT : 'schedule paused';
}

/** One schedule's state as the row's tooltip lists it: paused, refused (its parameters shown masked), or its next time. */
export function scheduleStateText(v: ScheduleView, time: (ms: number) => string): string {
  if (v.refused !== undefined) return `refused, not run: a parameter holds a secret (${v.refused}); let the flow read it from its environment`;
  if (v.paused) return 'paused';
  return v.next === undefined ? 'no next run' : `next ${time(v.next)}`;
}
