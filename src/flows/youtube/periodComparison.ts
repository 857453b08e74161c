/**
 * The change a metric's card shows against the previous period, counted like with like. YouTube's figures
 * lag two to three days: a range ending yesterday has no rows for its last days yet, while the previous
 * period's matching days are complete. Comparing the two totals as they are compared, say, 26 days with 28
 * (measured: −8.9 % where the days with data said −2.4 %). So the change compares only the range's days that
 * have a figure for the metric with the previous period's days aligned with them (day N with day N), as
 * YouTube Studio does; the totals are counted by totals.ts, as the flow's are. The charts are left as they
 * are: the days without data are gaps there.
 */
import { totalsOf, type DayValues } from './totals';

export interface PeriodComparison {
  /** The metric's total over the compared days: the range's own total, its other days having no figure. */
  current: number;
  /** The previous period's total over the days aligned with the compared ones. */
  previous: number;
  /** Days of the range compared: those with a figure for the metric. */
  days: number;
  /** Days in the range. */
  of: number;
  /** How many of the range's last days have no figure yet (YouTube's lag); 0 when the last day has one. */
  lastWithout: number;
}

/**
 * Per metric, the range's days with a figure against the previous period's days at the same positions.
 * `previousDays[i]` is the previous period's day N for the range's `days[i]`; a missing one counts as no data.
 */
export function comparePeriods(
  days: readonly DayValues[],
  previousDays: readonly (DayValues | undefined)[],
  metrics: readonly string[],
): Record<string, PeriodComparison> {
  const comparisons: Record<string, PeriodComparison> = {};
  for (const metric of metrics) {
    const compared = days.flatMap((d, i) => (typeof d[metric] === 'number' ? [i] : []));
    const last = compared.length === 0 ? -1 : compared[compared.length - 1]!;
    comparisons[metric] = {
      current: totalsOf(compared.map((i) => days[i]!), metrics)[metric] ?? 0,
      previous: totalsOf(compared.map((i) => previousDays[i] ?? {}), metrics)[metric] ?? 0,
      days: compared.length,
      of: days.length,
      lastWithout: days.length - 1 - last,
    };
  }
  return comparisons;
}
