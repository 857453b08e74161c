/**
 * Which date ranges a youtube-channel-analytics run reads, and what is said of one it does not: the flow
 * refuses such a range before any request, and the dashboard checks a range picked in it against the same
 * before it starts a run for it, in the same words — a range one takes, the other does not refuse. Plain
 * constants and text (no Node module): the extension host imports this as the flow does.
 */

/** YouTube began in 2005: no channel has analytics before it, and earlier dates are typing mistakes. */
export const EARLIEST_DATE = '2005-01-01';

/**
 * Ten years. A run reads the range and a previous period as long, one entry per day each; a range much
 * longer than YouTube has existed is a typing mistake, and could make a run of millions of days.
 */
export const MAX_RANGE_DAYS = 3653;

/** Why a range starting on `day` is too early (`2004-12-31 is before 2005-01-01; …`), or undefined. */
export function tooEarlyDay(day: string): string | undefined {
  return day < EARLIEST_DATE ? `${day} is before ${EARLIEST_DATE}; YouTube has no analytics from before 2005` : undefined;
}

/** Why a range of `days` days is too long (`is 3,654 days; a run reads at most 3,653 (ten years)`), or undefined. */
export function tooLongRange(days: number): string | undefined {
  return days > MAX_RANGE_DAYS ? `is ${days.toLocaleString('en-US')} days; a run reads at most ${MAX_RANGE_DAYS.toLocaleString('en-US')} (ten years)` : undefined;
}
