/**
 * What every GitHub call needs, gathered in one options object so the client code runs the same inside
 * an engine task and inside a plain test.
 */
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import { GitHubError } from './errors';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';

/** The subset of the engine's RunLogger the GitHub code writes to. */
export interface GitHubLogger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

/** The engine's per-flow key-value store (persisted across runs); ETags and their data live here. */
export interface KeyValueStore {
  get<T>(namespace: string, key: string): Promise<T | undefined>;
  set(namespace: string, key: string, value: unknown): Promise<void>;
}

export interface GitHubOptions {
  /** REST API root: https://api.github.com, a GitHub Enterprise Server `/api/v3` root, or a test server. */
  baseUrl: string;
  /** Without a token only public repositories are readable, at 60 requests an hour. */
  token?: string;
  /** The token and the environment's secrets: masked in an answer an error quotes, before it is cut. */
  secrets: SecretMasker;
  /** Aborts requests in flight when the run is cancelled or times out. */
  signal?: AbortSignal;
  logger: GitHubLogger;
  /** Where ETags and the data they vouch for are kept; without it every request is unconditional. */
  kv?: KeyValueStore;
  /**
   * Milliseconds per second of every wait the Octokit plugins make (rate-limit resets, retry-after,
   * retry backoff). 1000 in real use; tests shrink it so a "60 s" wait takes milliseconds.
   */
  retryAfterBaseValue?: number;
  /** A primary rate limit whose reset is further away than this fails the run instead of waiting. */
  maxRateLimitWaitSeconds?: number;
  /**
   * The longest one request may take, its answer read to the end (REQUEST_TIMEOUT_SECONDS when absent): past it
   * the step fails naming the request, never retried by the client (the task is: taskRetries.ts). Tests shrink it.
   */
  requestTimeoutSeconds?: number;
  /** Retries after network failures and 5xx answers (Octokit's retry plugin). */
  retries?: number;
  /** Clock for `fetchedAt`, today's date and reset-time messages. */
  now?: () => number;
}

/** The part of the engine's RunContext that `githubOptionsFromEnv` reads; structural so tests can fake it. */
export interface GitHubRunContext {
  signal?: AbortSignal;
  logger: GitHubLogger;
  kv?: KeyValueStore;
  registerSecret?(value: string): void;
}

/**
 * Options for a run from the environment: `GITHUB_TOKEN` (the extension passes its session token the same
 * way) and `FLOWDECK_GITHUB_API_URL`. The token is registered as a secret first, so no log line or stored
 * record can show it.
 */
export function githubOptionsFromEnv(env: NodeJS.ProcessEnv, context: GitHubRunContext): GitHubOptions {
  const token = env.GITHUB_TOKEN?.trim() || undefined;
  if (token) context.registerSecret?.(token);
  return {
    baseUrl: normalizeBaseUrl(env.FLOWDECK_GITHUB_API_URL?.trim() || DEFAULT_GITHUB_API_URL),
    token,
    secrets: new SecretMasker([...secretsFromEnv(env), ...(token ? [token] : [])]),
    signal: context.signal,
    logger: context.logger,
    kv: context.kv,
  };
}

/**
 * Octokit joins `baseUrl + path`, so a trailing slash would give `//repos/...`. A value that is not an http(s)
 * URL is a GitHubError: a setting to mend, printed as its message, not a stack in Flowdeck's code.
 */
export function normalizeBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new GitHubError('invalid-api-url', `FLOWDECK_GITHUB_API_URL is not a URL: '${value}' (expected e.g. https://github.example.com/api/v3)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new GitHubError('invalid-api-url', `FLOWDECK_GITHUB_API_URL must be an http(s) URL, got '${value}'`);
  }
  return url.toString().replace(/\/+$/, '');
}
