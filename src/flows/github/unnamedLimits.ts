/**
 * An Octokit plugin that waits out the rate limits GitHub answers in other words than its usual ones: a 429 Too
 * Many Requests, or a 403 asking to wait with `retry-after` (errors.ts isUnnamedLimit). plugin-throttling
 * waits only for the limits it recognises — a message naming a "secondary rate" limit, or
 * `x-ratelimit-remaining: 0` — and passes any other 403 or 429 on untouched; plugin-retry leaves 403 and 429
 * alone (client.ts DO_NOT_RETRY). Between the two such an answer failed the request at once, however short a
 * wait it asked for.
 *
 * Like plugin-throttling, the plugin asks a callback whether to wait; a yes is handed to plugin-retry with its
 * own `octokit.retry.retryRequest(error, retries, retryAfter)`, so plugin-retry waits `retryAfter` seconds
 * (scaled by its `retryAfterBaseValue`) and sends the request again. Its error hook has to sit between the two
 * plugins' — `Octokit.plugin(throttling, unnamedLimits(...), retry)`: a hook registered earlier runs closer to
 * the request, so this one sees what plugin-throttling gave up on and plugin-retry sees what this one marked.
 */
import { isRequestError, isUnnamedLimit, retryAfterSeconds } from './errors';

/** What the callback is told of the request that hit the limit. */
export interface UnnamedLimitRequest {
  method: string;
  /** The full URL asked for. */
  url: string;
  /** The status GitHub answered: 429, or 403. */
  status: number;
}

export interface UnnamedLimitOptions {
  /** Seconds to wait when the answer gave no `retry-after`. */
  fallbackRetryAfter: number;
  /** plugin-retry's `retries` (for 5xx and network errors): the retry for the limit comes on top. */
  retries: number;
  /**
   * True to wait `retryAfter` seconds and send the request again. `retryCount` is how many times this request
   * already waited for such a limit, as plugin-throttling's callbacks are told.
   */
  onUnnamedLimit(retryAfter: number, request: UnnamedLimitRequest, retryCount: number): boolean;
}

/** The parts of the Octokit instance the plugin uses (plugin-retry's `retry` is there when a request runs). */
interface PluggedOctokit {
  hook: { error(name: 'request', hook: (error: unknown, options: object) => unknown): void };
  retry?: { retryRequest(error: unknown, retries: number, retryAfter: number): unknown };
}

export function unnamedLimits(options: UnnamedLimitOptions) {
  return (octokit: PluggedOctokit): void => {
    // Keyed by the options of one octokit.request() call, which its retries share.
    const waited = new WeakSet<object>();
    octokit.hook.error('request', (error, requestOptions) => {
      if (!isRequestError(error) || !isUnnamedLimit(error) || !octokit.retry) throw error;
      const retryAfter = retryAfterSeconds(error, options.fallbackRetryAfter);
      const { method, url } = (error as { request?: { method?: unknown; url?: unknown } }).request ?? {};
      const request = { method: String(method), url: String(url), status: error.status };
      if (!options.onUnnamedLimit(retryAfter, request, waited.has(requestOptions) ? 1 : 0)) throw error;
      waited.add(requestOptions);
      // plugin-retry sends the request again while the retries allowed exceed those it already made, its 5xx
      // retries included (at most `retries` of them): one more than those lets this one through.
      throw octokit.retry.retryRequest(error, options.retries + 1, retryAfter);
    });
  };
}
