/**
 * A metric's total over some days: the flow's totals, and the totals the dashboard compares with the previous
 * period (periodComparison.ts), are counted here and nowhere else. Days without a figure (null, YouTube has no
 * row for them yet) count for nothing. Averages and rates (averageViewDuration, ...) cannot be summed: their
 * total is the mean weighted by views when views were asked for, else the plain mean.
 */

/** One day's figures by metric (a DayFigures of report.ts, or a day the dashboard read from a stored result). */
export type DayValues = { readonly [metric: string]: string | number | null | undefined };

export function totalsOf(days: readonly DayValues[], metrics: readonly string[]): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const metric of metrics) {
    const withData = days.filter((d) => typeof d[metric] === 'number');
    if (!isAverage(metric)) {
      totals[metric] = tidy(withData.reduce((sum, d) => sum + (d[metric] as number), 0));
      continue;
    }
    const byViews = metrics.includes('views');
    const weights = withData.map((d) => (!byViews ? 1 : typeof d.views === 'number' ? d.views : 0));
    const weight = weights.reduce((a, b) => a + b, 0);
    const weighted = withData.reduce((sum, d, i) => sum + (d[metric] as number) * (weights[i] ?? 0), 0);
    totals[metric] = weight === 0 ? 0 : Math.round((weighted / weight) * 100) / 100;
  }
  return totals;
}

function isAverage(metric: string): boolean {
  return /^average|Rate$|Percentage$/.test(metric);
}

/** Sums of FLOAT metrics pick up binary noise (0.30000000000000004); integers are left alone. */
function tidy(value: number): number {
  return Number.isInteger(value) ? value : Math.round(value * 1e6) / 1e6;
}
