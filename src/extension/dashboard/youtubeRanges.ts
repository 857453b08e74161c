/**
 * The YouTube section's date ranges: the presets resolved to days as YouTube counts them (Pacific
 * Time), a chosen range checked before a run is started for it, and the stored run of a range.
 */
import type { DashboardRun } from './dashboardRun';
import { addDays, dayCount, isCalendarDay, lastCompleteDays, pacificDay } from '../../flows/youtube/dates';
import { tooEarlyDay, tooLongRange } from '../../flows/youtube/rangeLimits';
import type { RangeChoice } from '../../webview/protocol';
import { builtinFlowOf } from './runRefs';

export function rangeChoices(now: Date): RangeChoice[] {
  const today = pacificDay(now);
  const firstOfMonth = `${today.slice(0, 8)}01`;
  const lastMonthEnd = addDays(firstOfMonth, -1);
  const last = (id: RangeChoice['id'], days: number): RangeChoice => ({ id, label: `Last ${days} days`, ...lastCompleteDays(now, days) });
  return [
    last('last7', 7),
    last('last28', 28),
    last('last90', 90),
    last('last365', 365),
    // Studio's "this month" runs to today; YouTube's lag leaves the last days as gaps.
    { id: 'thisMonth', label: 'This month', startDate: firstOfMonth, endDate: today },
    { id: 'lastMonth', label: 'Last month', startDate: `${lastMonthEnd.slice(0, 8)}01`, endDate: lastMonthEnd },
  ];
}

/** Why a range can't be charted, or undefined when it can. */
export function rangeProblem(startDate: string, endDate: string, now: Date): string | undefined {
  if (!isCalendarDay(startDate)) return `${startDate} is not a calendar day.`;
  if (!isCalendarDay(endDate)) return `${endDate} is not a calendar day.`;
  if (startDate > endDate) return `The range starts (${startDate}) after it ends (${endDate}); pick a start on or before the end.`;
  const today = pacificDay(now);
  if (endDate > today) return `The range ends ${endDate}, after today (${today} in Pacific Time, YouTube's reporting day).`;
  // What the flow refuses (rangeLimits.ts), said as it says it. Counted from the dates, not by listing the
  // days: a range from year 100 is 700,000 days, and listing them held up the extension host for more than a second.
  const tooLong = tooLongRange(dayCount(startDate, endDate));
  if (tooLong !== undefined) return `The range ${startDate} to ${endDate} ${tooLong}.`;
  const tooEarly = tooEarlyDay(startDate);
  if (tooEarly !== undefined) return `The range's first day ${tooEarly}.`;
  return undefined;
}

/** The newest completed youtube-channel-analytics run started for exactly this range. */
export function youtubeRunOfRange(sorted: readonly DashboardRun[], startDate: string, endDate: string): DashboardRun | undefined {
  return sorted.find(
    (r) =>
      builtinFlowOf(r) === 'youtube-channel-analytics' &&
      r.state.type === 'COMPLETED' &&
      r.parameters.startDate === startDate &&
      r.parameters.endDate === endDate,
  );
}
