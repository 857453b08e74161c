/**
 * The flow's parameters: their declarations (shown in the run form and checked by the engine) and the
 * validation that turns raw values into a query. Everything here runs before any request is made.
 */
import { addDays, dayCount, isCalendarDay, lastCompleteDays } from './dates';
import { YouTubeError } from './errors';
import { EARLIEST_DATE, tooEarlyDay, tooLongRange } from './rangeLimits';

export const DEFAULT_METRICS: readonly string[] = ['estimatedMinutesWatched', 'views', 'likes', 'subscribersGained'];

/** Daily channel metrics known to work with `dimensions=day`; others are passed to Google, which judges them. */
export const KNOWN_METRICS: readonly string[] = [
  ...DEFAULT_METRICS,
  'subscribersLost',
  'comments',
  'shares',
  'averageViewDuration',
];

const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$';

const METRIC_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** Declared with the flow's `parameters` option; the shape of the engine's ParameterDeclarations. */
export const YOUTUBE_PARAMETERS = {
  startDate: {
    type: 'string',
    description:
      'First day of the report, YYYY-MM-DD (Pacific Time), from 2005-01-01 and at most ten years before endDate. Default: 27 days before endDate (28 days in all).',
    pattern: DATE_PATTERN,
  },
  endDate: {
    type: 'string',
    description: 'Last day of the report, YYYY-MM-DD (Pacific Time). Default: yesterday in Pacific Time.',
    pattern: DATE_PATTERN,
  },
  metrics: {
    type: 'string',
    description: `Comma-separated YouTube Analytics metrics. Known to work: ${KNOWN_METRICS.join(', ')}.`,
    default: DEFAULT_METRICS.join(','),
  },
} as const;

export interface ReportQuery {
  startDate: string;
  endDate: string;
  metrics: string[];
}

/**
 * Validates the run's parameters and fills in defaults: the last 28 complete Pacific days when no date is
 * given, yesterday as the end when only a start is given, 28 days up to the end when only an end is given.
 */
export function resolveParameters(parameters: Record<string, unknown>, now: Date): ReportQuery {
  const problems: string[] = [];
  const startDate = dateParameter(parameters, 'startDate', problems);
  const endDate = dateParameter(parameters, 'endDate', problems);
  const metrics = metricsParameter(parameters.metrics, problems);
  if (problems.length > 0) throw invalid(problems);

  const defaults = lastCompleteDays(now);
  const end = endDate ?? defaults.endDate;
  const start = startDate ?? (endDate !== undefined ? addDays(endDate, -27) : defaults.startDate);
  const which = startDate !== undefined && endDate !== undefined ? '' : ' (the other date is a default)';
  if (start < EARLIEST_DATE) {
    throw invalid([`startDate ${start}, 28 days up to endDate ${end}, is before ${EARLIEST_DATE}; give a startDate from ${EARLIEST_DATE} on`]);
  }
  if (start > end) {
    throw invalid([`startDate ${start} is after endDate ${end}${which}; give a startDate on or before the endDate`]);
  }
  const tooLong = tooLongRange(dayCount(start, end));
  if (tooLong !== undefined) throw invalid([`startDate ${start} to endDate ${end}${which} ${tooLong}`]);
  return { startDate: start, endDate: end, metrics };
}

function dateParameter(parameters: Record<string, unknown>, name: string, problems: string[]): string | undefined {
  const value = parameters[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !isCalendarDay(value.trim())) {
    problems.push(`${name} must be a calendar day written YYYY-MM-DD, e.g. 2024-06-30 (got ${JSON.stringify(value)})`);
    return undefined;
  }
  const tooEarly = tooEarlyDay(value.trim());
  if (tooEarly !== undefined) {
    problems.push(`${name} ${tooEarly}`);
    return undefined;
  }
  return value.trim();
}

function metricsParameter(value: unknown, problems: string[]): string[] {
  if (value === undefined || value === null || value === '') return [...DEFAULT_METRICS];
  const names = typeof value === 'string' ? value.split(',').map((m) => m.trim()) : undefined;
  if (names === undefined || names.some((m) => !METRIC_NAME.test(m))) {
    problems.push(
      `metrics must be comma-separated metric names such as "${DEFAULT_METRICS.join(',')}" (got ${JSON.stringify(value)})`,
    );
    return [];
  }
  const duplicate = names.find((m, i) => names.indexOf(m) !== i);
  if (duplicate !== undefined) problems.push(`metrics names ${duplicate} twice`);
  return names;
}

function invalid(problems: string[]): YouTubeError {
  return new YouTubeError('invalid-parameters', `Invalid parameters: ${problems.join('; ')}.`);
}
