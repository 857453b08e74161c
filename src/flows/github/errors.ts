/**
 * Turns whatever Octokit throws into a GitHubError whose message says what went wrong and what to do.
 * The raw RequestError is deliberately not kept as `cause`: it carries request options and headers, and
 * the engine stores and prints errors.
 */

export type GitHubErrorKind =
  | 'invalid-repo'
  /** FLOWDECK_GITHUB_API_URL (or flowdeck.github.apiUrl) is not an http(s) URL. */
  | 'invalid-api-url'
  | 'not-found'
  | 'unauthorized'
  | 'forbidden'
  | 'rate-limited'
  | 'network'
  /** A request not answered to its end within `requestTimeoutSeconds`. */
  | 'timeout'
  | 'http'
  /** A 200 whose body is not what the endpoint sends (a proxy's page, truncated JSON, wrong field types). */
  | 'unexpected-answer';

export class GitHubError extends Error {
  override readonly name = 'GitHubError';
  /** Its message says what happened and what to do: the engine prints it without a stack trace. */
  readonly expected = true;
  readonly kind: GitHubErrorKind;
  /** HTTP status GitHub answered with; absent for network failures and invalid input. */
  readonly status?: number;
  /** When a primary rate limit resets. */
  readonly resetAt?: Date;
  /**
   * Worth running the step again after a pause: a request that timed out, which the client does not send
   * again itself. What the client retried already (network failures, 5xx) and what would fail again are not.
   */
  readonly retryable: boolean;

  constructor(kind: GitHubErrorKind, message: string, details: { status?: number; resetAt?: Date; retryable?: boolean } = {}) {
    super(message);
    this.kind = kind;
    this.retryable = details.retryable ?? false;
    if (details.status !== undefined) this.status = details.status;
    if (details.resetAt !== undefined) this.resetAt = details.resetAt;
  }
}

/** The GitHub tasks' `retryCondition`: only errors that say so are tried again. */
export function isRetryable(error: unknown): boolean {
  return error instanceof GitHubError && error.retryable;
}

/** The fields of @octokit/request-error's RequestError this module reads (duck-typed: the class is ESM-only). */
interface RequestErrorLike {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
  cause?: unknown;
}

export function isRequestError(error: unknown): error is RequestErrorLike {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { status?: unknown }).status === 'number' &&
    'request' in error
  );
}

/** The HTTP status of an Octokit error, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  return isRequestError(error) ? error.status : undefined;
}

export interface ErrorContext {
  /** `owner/name` the request was about. */
  repo: string;
  baseUrl: string;
  token?: string;
  /** Retries Octokit made before giving up on a network failure or 5xx. */
  retries?: number;
  /** Seconds the client waits for a rate limit at most (once): a longer secondary limit failed without waiting. */
  maxRateLimitWaitSeconds?: number;
  /** Seconds a secondary limit without `retry-after` asks for. */
  secondaryLimitFallbackSeconds?: number;
}

/**
 * Maps an Octokit failure to a GitHubError. Aborts (cancel, timeout) are returned unchanged so the engine
 * still sees them as what they are; errors that are already GitHubErrors pass through.
 */
export function toGitHubError(error: unknown, context: ErrorContext): unknown {
  if (error instanceof GitHubError) return error;
  if (isAbort(error)) return error;
  if (!isRequestError(error)) return error;
  const message = redact(describe(error, context), context.token);
  // Octokit reports a failed fetch as status 500 without a response; that is not GitHub's 500.
  if (error.response === undefined) return new GitHubError('network', message);
  const status = error.status;
  switch (status) {
    case 404:
      return new GitHubError('not-found', message, { status: 404 });
    case 401:
      return new GitHubError('unauthorized', message, { status: 401 });
    case 403:
    case 429:
      if (isRateLimit(error)) {
        const resetAt = isSecondaryLimit(error) || isUnnamedLimit(error) ? new Date(Date.now() + secondaryRetryAfter(error, context) * 1000) : resetTimeOf(error);
        return new GitHubError('rate-limited', message, resetAt ? { status, resetAt } : { status });
      }
      return new GitHubError('forbidden', message, { status });
    default:
      return new GitHubError('http', message, { status });
  }
}

function describe(error: RequestErrorLike, context: ErrorContext): string {
  const host = hostOf(context.baseUrl);
  const gitHubSays = messageFromBody(error);
  if (error.response === undefined) {
    const code = networkCode(error);
    const retried = context.retries ? ` after ${context.retries} retries` : '';
    return `Could not reach the GitHub API at ${host}${retried}: ${code ?? error.message}${code && error.message !== code ? ` (${error.message})` : ''}. Check the network connection${context.baseUrl === 'https://api.github.com' ? '' : ' and FLOWDECK_GITHUB_API_URL'}.`;
  }
  switch (error.status) {
    case 404:
      return (
        `Repository ${context.repo} not found (or private and the token has no access)` +
        (context.token ? '.' : '. No GITHUB_TOKEN is set; private repositories need a token with access.')
      );
    case 401:
      return (
        `GitHub token invalid or expired (${host} answered 401${gitHubSays ? ` "${gitHubSays}"` : ''}). ` +
        'Create a new token (or sign in to GitHub again from Flowdeck) and set GITHUB_TOKEN, ' +
        'or unset GITHUB_TOKEN to read public repositories anonymously.'
      );
    case 403:
    case 429: {
      if (isSecondaryLimit(error)) {
        const seconds = secondaryRetryAfter(error, context);
        const retryAt = new Date(Date.now() + seconds * 1000).toISOString();
        const given = headerOf(error, 'retry-after') === undefined ? ' (GitHub gave no retry-after; its docs say to wait at least a minute)' : '';
        const waited =
          context.maxRateLimitWaitSeconds !== undefined && seconds > context.maxRateLimitWaitSeconds
            ? `, too long to wait for (the flow waits at most ${context.maxRateLimitWaitSeconds} s)`
            : ', and it was hit again after waiting that long once';
        return (
          `GitHub secondary rate limit exceeded (${host} answered ${error.status}): retry after ${seconds} s${given}${waited}. ` +
          `Run the flow again after ${retryAt}; fewer runs at once (\`flowdeck limit set github-api 1\`) make it rarer.`
        );
      }
      if (isUnnamedLimit(error)) {
        const seconds = secondaryRetryAfter(error, context);
        const retryAt = new Date(Date.now() + seconds * 1000).toISOString();
        const given = headerOf(error, 'retry-after') === undefined ? ` (${host} gave no retry-after)` : '';
        const waited =
          context.maxRateLimitWaitSeconds === undefined
            ? ''
            : seconds > context.maxRateLimitWaitSeconds
              ? `, too long to wait for (the flow waits at most ${context.maxRateLimitWaitSeconds} s)`
              : ', and it was hit again after waiting that long once';
        return (
          `GitHub is limiting requests (${host} answered ${error.status}${gitHubSays ? ` "${gitHubSays}"` : ''}): retry after ${seconds} s${given}${waited}. ` +
          `Run the flow again after ${retryAt}; fewer runs at once (\`flowdeck limit set github-api 1\`) make it rarer.`
        );
      }
      if (isRateLimit(error)) {
        const resetAt = resetTimeOf(error);
        const limit = headerOf(error, 'x-ratelimit-limit');
        const when = resetAt
          ? `It resets at ${resetAt.toISOString()} (in ${formatDuration(resetAt.getTime() - Date.now())})`
          : 'The reset time was not given';
        const advice = context.token
          ? 'Run the flow again after the reset.'
          : 'Set GITHUB_TOKEN for 5,000 requests an hour, or run the flow again after the reset.';
        return `GitHub API rate limit exhausted${limit ? ` (${limit} requests an hour)` : ''}. ${when}, too far away to wait for. ${advice}`;
      }
      return `GitHub refused access to ${context.repo} (${error.status}${gitHubSays ? ` "${gitHubSays}"` : ''}). The token may lack a scope or need SSO authorization for this organization.`;
    }
    default:
      return `GitHub API at ${host} answered ${error.status}${gitHubSays ? ` "${gitHubSays}"` : ''} for ${context.repo}${error.status >= 500 && context.retries ? ` after ${context.retries} retries` : ''}.`;
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function isRateLimit(error: RequestErrorLike): boolean {
  return headerOf(error, 'x-ratelimit-remaining') === '0' || isSecondaryLimit(error) || isUnnamedLimit(error);
}

/**
 * A limit in other words than GitHub's usual ones: a 429 Too Many Requests, or a 403 asking to wait with
 * `retry-after` (GitHub Enterprise Server's "abuse detection mechanism", a gateway). Not a missing scope.
 */
export function isUnnamedLimit(error: RequestErrorLike): boolean {
  if (isSecondaryLimit(error) || headerOf(error, 'x-ratelimit-remaining') === '0') return false;
  return error.status === 429 || (error.status === 403 && headerOf(error, 'retry-after') !== undefined);
}

/** Same test plugin-throttling applies to tell secondary limits apart. */
function isSecondaryLimit(error: RequestErrorLike): boolean {
  return /\bsecondary rate\b/i.test(error.message);
}

/** `retry-after` of a secondary limit in seconds, or the fallback the client waits when GitHub sent none. */
function secondaryRetryAfter(error: RequestErrorLike, context: ErrorContext): number {
  return retryAfterSeconds(error, context.secondaryLimitFallbackSeconds ?? 60);
}

/** `retry-after` in seconds, or `fallbackSeconds` when the answer gave none (or not a number of seconds). */
export function retryAfterSeconds(error: RequestErrorLike, fallbackSeconds: number): number {
  const given = Number(headerOf(error, 'retry-after'));
  return Number.isFinite(given) && given > 0 ? given : fallbackSeconds;
}

function resetTimeOf(error: RequestErrorLike): Date | undefined {
  const reset = Number(headerOf(error, 'x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined;
}

function headerOf(error: RequestErrorLike, name: string): string | undefined {
  const value = error.response?.headers?.[name];
  return value === undefined ? undefined : String(value);
}

function messageFromBody(error: RequestErrorLike): string | undefined {
  const data = error.response?.data;
  if (typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string') {
    return (data as { message: string }).message;
  }
  return undefined;
}

/** `ECONNREFUSED`, `ENOTFOUND`, ... from fetch's `TypeError('fetch failed')` → cause chain. */
function networkCode(error: RequestErrorLike): string | undefined {
  let current: unknown = error.cause;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

/** Reset headers are wall-clock times, so this compares with Date.now() like plugin-throttling does. */
function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`;
}

/** Belt and braces: no message built here should contain the token, but one from a server body could. */
export function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('***') : text;
}
