/**
 * Builds the Octokit client every GitHub task uses: throttling (rate limits) and retry (5xx, network)
 * plugins, logs routed to the run logger, and a request counter so tasks can report what they cost.
 */
import { limitedAnswer, MAX_ANSWER_BYTES } from '../limitedAnswer';
import { REQUEST_TIMEOUT_SECONDS, requestDeadline } from '../requestTimeout';
import type { Octokit } from '@octokit/rest' with { 'resolution-mode': 'import' };
import type { GitHubLogger, GitHubOptions } from './options';
import { redact } from './errors';
import { unnamedLimits } from './unnamedLimits';

export type GitHubClient = Octokit;

/** What the client saw, for the one-line summary a task logs. */
export interface RequestStats {
  /** HTTP exchanges, retries included. */
  requests: number;
  /** Answers 304 Not Modified (free for authenticated requests). */
  notModified: number;
  /** From the last response that carried rate-limit headers. */
  rateLimit?: { limit: number; remaining: number; resetAt: Date };
  /** `METHOD path` of the first answer cut off at MAX_ANSWER_BYTES (withClient fails the step naming it). */
  oversized?: string;
  /** The first request not answered to its end within `requestTimeoutSeconds` (withClient fails the step naming it). */
  timedOut?: TimedOutRequest;
}

export interface TimedOutRequest {
  /** `METHOD path`, without the query. */
  request: string;
  /** Whether the answer had begun (status and headers came, the body did not finish). */
  answered: boolean;
}

export { MAX_ANSWER_BYTES, REQUEST_TIMEOUT_SECONDS };

export interface GitHubClientHandle {
  octokit: GitHubClient;
  stats: RequestStats;
}

export const DEFAULT_RETRIES = 3;
/**
 * The longest rate-limit wait, primary or secondary, and it is waited once per request: a task's 120 s
 * timeout leaves room for it and the retries after, where a second wait would end the task TimedOut.
 */
export const DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS = 60;
/** A secondary limit answered without `retry-after`: GitHub's docs say to wait at least a minute. */
export const SECONDARY_LIMIT_FALLBACK_SECONDS = 60;

/** What the throttling callbacks read of the request that hit a limit. */
interface LimitedRequest {
  method: string;
  url: string;
}

/**
 * plugin-retry's defaults plus 429: a 429 is a rate limit, waited out by plugin-throttling when GitHub names
 * it and by unnamedLimits.ts otherwise, each once at most and for as long as `retry-after` asks; plugin-retry's
 * own policy would retry it three times more on its own clock (1, 4, 9 s), whatever GitHub asked. (304 is
 * below 400 and never retried.)
 */
const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/** Octokit is ESM-only; a dynamic import keeps this CommonJS module loadable and the client lazy. */
export async function createGitHubClient(options: GitHubOptions): Promise<GitHubClientHandle> {
  const [{ Octokit: RestOctokit }, { throttling }, { retry }] = await Promise.all([
    import('@octokit/rest'),
    import('@octokit/plugin-throttling'),
    import('@octokit/plugin-retry'),
  ]);
  const { logger, token } = options;
  const retryAfterBaseValue = options.retryAfterBaseValue ?? 1000;
  const maxWait = options.maxRateLimitWaitSeconds ?? DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS;
  const retries = options.retries ?? DEFAULT_RETRIES;
  const stats: RequestStats = { requests: 0, notModified: 0 };
  const unanswered: Unanswered = new Map();
  // unnamedLimits between the two: it hands plugin-retry the limits plugin-throttling does not recognise.
  const ThrottledOctokit = RestOctokit.plugin(
    throttling,
    unnamedLimits({
      fallbackRetryAfter: SECONDARY_LIMIT_FALLBACK_SECONDS,
      retries,
      // A 429, or a 403 with retry-after, in other words than GitHub's (a gateway, GitHub Enterprise Server's
      // "abuse detection mechanism"): waited like a secondary limit, once and when it is short enough.
      onUnnamedLimit: (retryAfter, request, retryCount) => {
        const what = `${request.method} ${pathOf(request.url, options.baseUrl)} (answered ${request.status})`;
        if (options.signal?.aborted) return false;
        if (retryCount === 0 && retryAfter <= maxWait) {
          logger.warning(`GitHub is limiting requests on ${what}; waiting ${retryAfter} s before retrying`);
          return true;
        }
        logger.warning(
          retryCount === 0
            ? `GitHub is limiting requests on ${what}; retry after ${retryAfter} s is too long to wait for`
            : `GitHub is limiting requests again on ${what} after waiting; retry after ${retryAfter} s`,
        );
        return false;
      },
    }),
    retry,
  );

  const octokit = new ThrottledOctokit({
    baseUrl: options.baseUrl,
    ...(token ? { auth: token } : {}),
    userAgent: 'flowdeck-github-repo-stats',
    log: octokitLog(logger, token, unanswered),
    request: {
      ...(options.signal ? { signal: options.signal } : {}),
      fetch: countingFetch(stats, logger, options.baseUrl, unanswered, (options.requestTimeoutSeconds ?? REQUEST_TIMEOUT_SECONDS) * 1000),
    },
    retry: { retries, doNotRetry: DO_NOT_RETRY, retryAfterBaseValue },
    throttle: {
      retryAfterBaseValue,
      fallbackSecondaryRateRetryAfter: SECONDARY_LIMIT_FALLBACK_SECONDS,
      // retryAfter is `retry-after`, or the fallback above when GitHub sent none. Waited like a primary
      // limit's reset: once, when it is short enough; otherwise the run fails now naming when to retry,
      // instead of waiting out an hour (or a minute, twice) and ending TimedOut without saying why.
      onSecondaryRateLimit: (retryAfter: number, request: LimitedRequest, _octokit: unknown, retryCount: number) => {
        const what = `${request.method} ${pathOf(request.url, options.baseUrl)}`;
        if (options.signal?.aborted) return false;
        if (retryCount === 0 && retryAfter <= maxWait) {
          logger.warning(`GitHub secondary rate limit hit on ${what}; waiting ${retryAfter} s before retrying`);
          return true;
        }
        logger.warning(
          retryCount === 0
            ? `GitHub secondary rate limit hit on ${what}; retry after ${retryAfter} s is too long to wait for`
            : `GitHub secondary rate limit hit again on ${what} after waiting; retry after ${retryAfter} s`,
        );
        return false;
      },
      onRateLimit: (retryAfter: number, request: LimitedRequest, _octokit: unknown, retryCount: number) => {
        const what = `${request.method} ${pathOf(request.url, options.baseUrl)}`;
        // The plugin derived retryAfter from the reset header and Date.now(), plus one second of margin.
        const resetAt = new Date(Date.now() + (retryAfter - 1) * 1000).toISOString();
        if (options.signal?.aborted) return false;
        if (retryCount === 0 && retryAfter <= maxWait) {
          logger.warning(`GitHub API rate limit exhausted on ${what}; waiting ${retryAfter} s until it resets at ${resetAt}`);
          return true;
        }
        logger.warning(`GitHub API rate limit exhausted on ${what}; it resets at ${resetAt}, too far away to wait for`);
        return false;
      },
    },
  });
  return { octokit, stats };
}

/**
 * Requests that got no answer at all (DNS, refused connection) or whose answer broke off, by `METHOD path`,
 * with what happened ("no response (ECONNREFUSED)"): Octokit reports them as status 500, and its request log
 * would print `500 with id UNKNOWN`, a status GitHub never sent.
 */
type Unanswered = Map<string, string[]>;

/** Octokit's request-log line: `GET /repos/a/b - 404 with id ABCD in 12ms`. */
const REQUEST_LINE = /^(\S+ \S+) - \d+ with id UNKNOWN in (\d+ms)$/;

/**
 * Octokit logs `debug("request", options)` with the Authorization header inside, so debug is dropped and
 * only the message string of the other levels is forwarded. Errors are reported by the caller as
 * GitHubErrors; Octokit's own error line (also printed for a harmless 304) is kept at debug, and says
 * "no response" for a request that got none.
 */
function octokitLog(logger: GitHubLogger, token: string | undefined, unanswered: Unanswered) {
  const text = (message: unknown) => withoutQueries(redact(typeof message === 'string' ? message : String(message), token));
  const errorLine = (message: string): string => {
    const m = REQUEST_LINE.exec(message);
    const reason = m ? unanswered.get(m[1]!)?.shift() : undefined;
    return m && reason !== undefined ? `${m[1]} - ${reason} in ${m[2]}` : message;
  };
  return {
    debug: () => undefined,
    info: (message: unknown) => logger.debug(text(message)),
    warn: (message: unknown) => logger.warning(text(message)),
    error: (message: unknown) => logger.debug(errorLine(text(message))),
  };
}

/**
 * `GET /path?a=1 - 200` as `GET /path - 200`: Octokit's lines quote each request's URL whole, and a query
 * (the one a Link header hands back, say) may carry a key or token.
 */
function withoutQueries(text: string): string {
  return text.replace(/(?<=\S)\?[^\s#?]*=[^\s#]*/g, '');
}

/**
 * Counts every attempt (the retry plugin's included), logs why an attempt failed, and bounds each attempt to
 * `timeoutMs`, its answer read to the end. @octokit/request has no timeout option of its own (its docs point to
 * `request.signal`), so each attempt gets a deadline joined to the run's signal (requestTimeout.ts).
 *
 * The answer is read whole here, inside the bound: Octokit read a body that broke off midway (a connection
 * reset) as an empty answer, which failed the step as "not the JSON expected: it was empty", never retried.
 * Thrown from here, a broken answer is a network failure like a refused connection, which plugin-retry retries.
 */
function countingFetch(stats: RequestStats, logger: GitHubLogger, baseUrl: string, unanswered: Unanswered, timeoutMs: number): typeof fetch {
  return async (input, init) => {
    stats.requests++;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init?.method ?? 'GET').toUpperCase();
    // Method and path only, in every line and error: a query may carry a key or token.
    const request = `${method} ${pathOf(url, baseUrl)}`;
    const runSignal = init?.signal ?? undefined;
    const deadline = requestDeadline(timeoutMs, runSignal, () => new DOMException(`No answer within ${timeoutMs / 1000} s`, 'TimeoutError'));
    const failed = (reason: string) => unanswered.set(request, [...(unanswered.get(request) ?? []), reason]);
    let answered = false;
    let oversized = false;
    try {
      const response = await fetch(input, { ...init, signal: deadline.signal });
      answered = true;
      if (response.status === 304) stats.notModified++;
      const body = await limitedAnswer(response, () => {
        oversized = true;
        stats.oversized ??= request;
        return new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`);
      }).arrayBuffer();
      if (response.status >= 500) logger.warning(`GitHub answered ${response.status} for ${request}`);
      const limit = Number(response.headers.get('x-ratelimit-limit'));
      const remaining = Number(response.headers.get('x-ratelimit-remaining'));
      const reset = Number(response.headers.get('x-ratelimit-reset'));
      if (response.headers.has('x-ratelimit-remaining') && [limit, remaining, reset].every(Number.isFinite)) {
        stats.rateLimit = { limit, remaining, resetAt: new Date(reset * 1000) };
      }
      const read = new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
      Object.defineProperty(read, 'url', { value: response.url });
      return read;
    } catch (error) {
      // fetch rejects with the signal's reason (the engine's TimeoutError, say); Octokit would wrap that
      // as a status-500 RequestError and the retry plugin would retry it. An AbortError passes straight up,
      // and past the bound too: a retry would wait as long again, so the task's retries (githubTasks.ts) try
      // it again, each attempt with the task's whole time.
      if (runSignal?.aborted) throw new DOMException('The run was cancelled or timed out', 'AbortError');
      if (deadline.expired) {
        stats.timedOut ??= { request, answered };
        logger.warning(`Request ${request}: no ${answered ? 'end to its answer' : 'answer'} within ${timeoutMs / 1000} s`);
        failed(`no answer within ${timeoutMs / 1000} s`);
        throw new DOMException(`No answer within ${timeoutMs / 1000} s`, 'AbortError');
      }
      // Cut off at MAX_ANSWER_BYTES: withClient names its size; sending it again would read as much again.
      if (oversized) throw new DOMException('Answer too large', 'AbortError');
      const reason = answered ? `the answer broke off (${networkReason(error)})` : networkReason(error);
      failed(answered ? reason : `no response (${reason})`);
      logger.warning(`Request ${request} failed: ${reason}`);
      throw error;
    } finally {
      deadline.done();
    }
  };
}

/** Statuses whose Response may not have a body (the Response constructor throws on one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/** fetch only says "fetch failed"; the cause says why (`ECONNREFUSED`, `bad port`, ...). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** A request URL as its path under `baseUrl`, without the query (it may carry a key or token). */
function pathOf(url: string, baseUrl: string): string {
  const path = url.startsWith(baseUrl) ? url.slice(baseUrl.length) || '/' : url;
  return path.split(/[?#]/)[0] || '/';
}

/** `3 requests (2 answered 304 ...); rate limit 4990/5000 left, resets ...` — what a task cost. */
export function describeStats(stats: RequestStats): string {
  const parts = [`${stats.requests} request${stats.requests === 1 ? '' : 's'}`];
  if (stats.notModified > 0) parts[0] += ` (${stats.notModified} answered 304 Not Modified from stored ETags)`;
  if (stats.rateLimit) {
    parts.push(`rate limit ${stats.rateLimit.remaining}/${stats.rateLimit.limit} left, resets ${stats.rateLimit.resetAt.toISOString()}`);
  }
  return parts.join('; ');
}
