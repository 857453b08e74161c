/**
 * The youtube-channel-analytics flow's body. The engine's `task` and run context are passed in rather than
 * imported, so this runs (and is tested) without the worker runtime; the flow module only wires them up.
 */
import { readCredentials, type CredentialStore } from '../../engine/credentials';
import { fetchChannel, type ChannelSummary } from './channel';
import {
  createYouTubeClients,
  endpointsFromEnv,
  ensureAccessToken,
  resolveYouTubeAuth,
  storedYouTubeCredentials,
  type TokenUpdate,
} from './client';
import { previousRange, type DayRange } from './dates';
import { YouTubeError, isRetryable } from './errors';
import { resolveParameters, type ReportQuery } from './parameters';
import { fetchReportTable, formatDayLine, formatTotalsLine, shapeReport, type DayFigures } from './report';
import { fetchTopVideos, type TopVideo } from './topVideos';

/** The part of the engine's RunContext this flow uses. */
export interface AnalyticsRunContext {
  /** Fires on cancel or timeout; inside a task, the task's own signal. */
  signal: AbortSignal;
  logger: { info(message: string): void; warning(message: string): void };
  registerSecret(value: string): void;
  saveCredentials(service: string, patch: Record<string, unknown>): void;
  /** The store folder (FLOWDECK_HOME), where the CLI keeps credentials.json. */
  home: string;
}

/** The subset of the engine's TaskOptions the YouTube tasks set. */
export interface YouTubeTaskOptions {
  name: string;
  description: string;
  tags: string[];
  retries: number;
  retryDelaySeconds: number[];
  retryJitterFactor: number;
  retryCondition: (error: unknown) => boolean;
  timeoutSeconds: number;
}

/**
 * The engine's `task`: wraps a function so each call is a task run with retries and a timeout. A resume
 * reuses a call's result only when its arguments are the same, so a task takes the range it reads as one.
 */
export type TaskFactory = <A extends unknown[], R>(options: YouTubeTaskOptions, fn: (...args: A) => Promise<R>) => (...args: A) => Promise<R>;

export interface AnalyticsDependencies {
  task: TaskFactory;
  /** The executing run's context; called inside tasks too, where it returns the task run's context. */
  context: () => AnalyticsRunContext;
  /** The worker's environment: credentials for headless runs and endpoint overrides. */
  env: NodeJS.ProcessEnv;
  /** The clock for default dates. */
  now?: () => Date;
  /** Days per report page; only ranges longer than this are paged. */
  pageSize?: number;
  readCredentials?: (home: string) => CredentialStore;
  /** The longest one request may take, its answer read to the end; REQUEST_TIMEOUT_SECONDS when absent. */
  requestTimeoutSeconds?: number;
}

export interface ChannelAnalytics {
  channel: ChannelSummary;
  startDate: string;
  endDate: string;
  metrics: string[];
  days: DayFigures[];
  totals: Record<string, number>;
  /** The same metrics for the equally long period just before `startDate`, for comparison. */
  previous: { startDate: string; endDate: string; days: DayFigures[]; totals: Record<string, number> };
  /** The ten most viewed videos of the range, the most viewed first. */
  topVideos: TopVideo[];
}

/**
 * Rate limits and server errors are retried here, by the engine, and nowhere else: the API clients are built
 * with `retry: false`. Quota, permission, authorization and query errors fail at once (see isRetryable).
 */
const RETRY_POLICY = {
  retries: 3,
  retryDelaySeconds: [1, 5, 15],
  retryJitterFactor: 0.2,
  retryCondition: isRetryable,
};

export const FETCH_REPORT_TASK: YouTubeTaskOptions = {
  name: 'fetch-report',
  description: 'YouTube Analytics reports.query: daily metrics for the whole range.',
  tags: ['youtube', 'youtube-api'],
  ...RETRY_POLICY,
  // Long ranges are paged; each page is a small answer, so two minutes is generous.
  timeoutSeconds: 120,
};

export const FETCH_PREVIOUS_REPORT_TASK: YouTubeTaskOptions = {
  ...FETCH_REPORT_TASK,
  name: 'fetch-previous-report',
  description: 'YouTube Analytics reports.query: the same metrics for the equally long period before the range.',
};

export const FETCH_TOP_VIDEOS_TASK: YouTubeTaskOptions = {
  name: 'fetch-top-videos',
  description: 'YouTube Analytics reports.query by video (top 10 by views), then videos.list for their titles.',
  tags: ['youtube', 'youtube-api'],
  ...RETRY_POLICY,
  timeoutSeconds: 60,
};

export const FETCH_CHANNEL_TASK: YouTubeTaskOptions = {
  name: 'fetch-channel',
  description: 'YouTube Data channels.list: the channel title and lifetime totals.',
  tags: ['youtube', 'youtube-api'],
  ...RETRY_POLICY,
  timeoutSeconds: 60,
};

export async function runChannelAnalytics(
  parameters: Record<string, unknown>,
  deps: AnalyticsDependencies,
): Promise<ChannelAnalytics> {
  const run = deps.context();
  // Everything that can be wrong locally fails here, before any request.
  const query = resolveParameters(parameters, deps.now?.() ?? new Date());
  const endpoints = endpointsFromEnv(deps.env);
  const store = (deps.readCredentials ?? readCredentials)(run.home);
  const settings = resolveYouTubeAuth(deps.env, storedYouTubeCredentials(store.youtube));
  for (const secret of [settings.clientSecret, settings.refreshToken, settings.accessToken]) {
    if (secret !== undefined) run.registerSecret(secret);
  }

  const clients = createYouTubeClients(settings, endpoints, (tokens: TokenUpdate) => {
    if (tokens.access_token !== undefined) run.registerSecret(tokens.access_token);
    if (tokens.refresh_token !== undefined) run.registerSecret(tokens.refresh_token);
    // A refresh answer has no refresh_token; the host merges, so the stored one is kept.
    run.saveCredentials('youtube', { ...tokens });
  }, deps.requestTimeoutSeconds);

  // The dates are the tasks' arguments, not captured: default dates move with the day, and a resume on a later
  // day must read the new range rather than reuse the figures of the range its first attempt read.
  const reportTask = (options: YouTubeTaskOptions) =>
    deps.task(options, async (range: ReportQuery) => {
      const signal = deps.context().signal;
      await ensureAccessToken(clients);
      return fetchReportTable(clients.analytics, range, clients.secrets, deps.pageSize === undefined ? { signal } : { signal, pageSize: deps.pageSize });
    });
  const previousQuery = { ...previousRange(query), metrics: query.metrics };
  const fetchTopVideosTask = deps.task(FETCH_TOP_VIDEOS_TASK, async (range: DayRange) => {
    const signal = deps.context().signal;
    await ensureAccessToken(clients);
    return fetchTopVideos(clients.analytics, clients.data, range, clients.secrets, signal);
  });
  const fetchChannelTask = deps.task(FETCH_CHANNEL_TASK, async () => {
    const signal = deps.context().signal;
    await ensureAccessToken(clients);
    return fetchChannel(clients.data, clients.secrets, signal);
  });

  const [tableResult, previousResult, topResult, channelResult] = await Promise.allSettled([
    reportTask(FETCH_REPORT_TASK)(query),
    reportTask(FETCH_PREVIOUS_REPORT_TASK)(previousQuery),
    fetchTopVideosTask({ startDate: query.startDate, endDate: query.endDate }),
    fetchChannelTask(),
  ]);
  // "No channel" explains a failing report too, so it is the error to show.
  if (channelResult.status === 'rejected' && channelResult.reason instanceof YouTubeError && channelResult.reason.code === 'no-channel') {
    throw channelResult.reason;
  }
  const table = valueOf(tableResult);
  const previousTable = valueOf(previousResult);
  const topVideos = valueOf(topResult);
  const channel = valueOf(channelResult);

  const report = shapeReport(table, query);
  const subscribers = channel.subscribers === null ? 'hidden' : String(channel.subscribers);
  run.logger.info(
    `Channel: ${channel.title} (${channel.id}), Subscribers: ${subscribers}, Views: ${channel.views}, Videos: ${channel.videos}`,
  );
  topVideos.forEach((video, i) => run.logger.info(`Top video ${i + 1}: ${video.title ?? `(unavailable video ${video.id})`}, Views: ${video.views}`));
  for (const day of report.days) run.logger.info(formatDayLine(day, query.metrics));
  const previous = shapeReport(previousTable, previousQuery);
  run.logger.info(formatTotalsLine(previous, previousQuery, 'Previous period'));
  run.logger.info(formatTotalsLine(report, query));
  if (report.days.every((d) => query.metrics.every((m) => d[m] === null))) {
    run.logger.warning(
      `YouTube has no data for ${query.startDate} to ${query.endDate}. Its figures lag two to three days; ` +
        'a new channel or a range in the future has none.',
    );
  }

  return {
    channel,
    startDate: query.startDate,
    endDate: query.endDate,
    metrics: query.metrics,
    ...report,
    previous: { startDate: previousQuery.startDate, endDate: previousQuery.endDate, ...previous },
    topVideos,
  };
}

/** The value of a settled task, or its error thrown. */
function valueOf<T>(outcome: PromiseSettledResult<T>): T {
  if (outcome.status === 'rejected') throw outcome.reason;
  return outcome.value;
}
