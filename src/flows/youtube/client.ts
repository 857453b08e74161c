/**
 * Building the Google clients: which credentials to use (environment over stored ones), where the endpoints
 * are, and the two generated API clients sharing one OAuth2Client.
 *
 * OAuth2Client is taken from `@googleapis/youtube`'s `auth` rather than imported from `google-auth-library`:
 * googleapis-common pins its own copy of google-auth-library, and using that copy keeps a second one
 * (about 110 KB minified) out of the bundle and keeps the client types compatible.
 */
import { auth as googleAuth, youtube, type youtube_v3 } from '@googleapis/youtube';
import { youtubeAnalytics, type youtubeAnalytics_v2 } from '@googleapis/youtubeanalytics';
import type { ServiceCredentials } from '../../engine/credentials';
import { SecretMasker } from '../../engine/secrets';
import { describeAnswerValue } from '../answerText';
import { limitedAnswer } from '../limitedAnswer';
import { REQUEST_TIMEOUT_SECONDS, requestDeadline } from '../requestTimeout';
import { AnswerTooLarge, CONNECT_HINT, RequestTimedOut, YouTubeError, toYouTubeError } from './errors';

export type OAuthClient = InstanceType<typeof googleAuth.OAuth2>;

export const YOUTUBE_SCOPES: readonly string[] = [
  'https://www.googleapis.com/auth/yt-analytics.readonly',
  'https://www.googleapis.com/auth/youtube.readonly',
];

/** The `youtube` entry of the credential store, as `flowdeck auth youtube` writes it. */
export interface StoredYouTubeCredentials {
  client_id?: string;
  client_secret?: string;
  refresh_token?: string;
  access_token?: string;
  /** Epoch milliseconds. */
  expiry_date?: number;
  scope?: string;
  token_type?: string;
}

export interface YouTubeAuthSettings {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** Reused only when it was issued for this refresh token, to save a token request per run. */
  accessToken?: string;
  expiryDate?: number;
}

/** Replacements for Google's endpoints, for proxies and tests. Unset means Google's own. */
export interface GoogleEndpoints {
  /** Root URL of both YouTube APIs (`FLOWDECK_GOOGLE_API_URL`). */
  apiUrl?: string;
  /** OAuth token endpoint (`FLOWDECK_GOOGLE_TOKEN_URL`). */
  tokenUrl?: string;
  /** OAuth authorization page (`FLOWDECK_GOOGLE_AUTH_URL`). */
  authUrl?: string;
}

export function storedYouTubeCredentials(entry: ServiceCredentials | undefined): StoredYouTubeCredentials {
  const stored: StoredYouTubeCredentials = {};
  if (!entry) return stored;
  for (const key of ['client_id', 'client_secret', 'refresh_token', 'access_token', 'scope', 'token_type'] as const) {
    const value = entry[key];
    if (typeof value === 'string' && value !== '') stored[key] = value;
  }
  if (typeof entry.expiry_date === 'number') stored.expiry_date = entry.expiry_date;
  return stored;
}

/**
 * Picks each credential from the environment when set there (headless runs, CI), else from the store.
 * Throws `not-connected`, naming what is missing, when the result is incomplete.
 */
export function resolveYouTubeAuth(env: NodeJS.ProcessEnv, stored: StoredYouTubeCredentials): YouTubeAuthSettings {
  const clientId = nonEmpty(env.FLOWDECK_GOOGLE_CLIENT_ID) ?? stored.client_id;
  const clientSecret = nonEmpty(env.FLOWDECK_GOOGLE_CLIENT_SECRET) ?? stored.client_secret;
  const refreshToken = nonEmpty(env.FLOWDECK_YOUTUBE_REFRESH_TOKEN) ?? stored.refresh_token;
  const missing = [
    clientId === undefined ? 'OAuth client ID' : undefined,
    clientSecret === undefined ? 'OAuth client secret' : undefined,
    refreshToken === undefined ? 'refresh token' : undefined,
  ].filter((m): m is string => m !== undefined);
  if (clientId === undefined || clientSecret === undefined || refreshToken === undefined) {
    throw new YouTubeError('not-connected', `YouTube is not connected (missing ${missing.join(', ')}). ${CONNECT_HINT}`);
  }
  const settings: YouTubeAuthSettings = { clientId, clientSecret, refreshToken };
  if (stored.access_token !== undefined && stored.refresh_token === refreshToken && stored.client_id === clientId) {
    settings.accessToken = stored.access_token;
    if (stored.expiry_date !== undefined) settings.expiryDate = stored.expiry_date;
  }
  return settings;
}

export function endpointsFromEnv(env: NodeJS.ProcessEnv): GoogleEndpoints {
  const endpoints: GoogleEndpoints = {};
  const apiUrl = urlSetting(env, 'FLOWDECK_GOOGLE_API_URL');
  const tokenUrl = urlSetting(env, 'FLOWDECK_GOOGLE_TOKEN_URL');
  const authUrl = urlSetting(env, 'FLOWDECK_GOOGLE_AUTH_URL');
  if (apiUrl !== undefined) endpoints.apiUrl = apiUrl;
  if (tokenUrl !== undefined) endpoints.tokenUrl = tokenUrl;
  if (authUrl !== undefined) endpoints.authUrl = authUrl;
  return endpoints;
}

export function createOAuthClient(
  clientId: string,
  clientSecret: string,
  endpoints: GoogleEndpoints,
  requestTimeoutSeconds = REQUEST_TIMEOUT_SECONDS,
): OAuthClient {
  const overrides: { oauth2TokenUrl?: string; oauth2AuthBaseUrl?: string } = {};
  if (endpoints.tokenUrl !== undefined) overrides.oauth2TokenUrl = endpoints.tokenUrl;
  if (endpoints.authUrl !== undefined) overrides.oauth2AuthBaseUrl = endpoints.authUrl;
  return new googleAuth.OAuth2({ clientId, clientSecret, endpoints: overrides, transporterOptions: { fetchImplementation: answerFetch(requestTimeoutSeconds) } });
}

/**
 * fetch, with the body cut off past MAX_ANSWER_BYTES and the connection closed (the stream errors with an
 * AnswerTooLarge), and each request bounded to `seconds`, its answer read to the end (it is aborted with a
 * RequestTimedOut). gaxios keeps either as its error's `cause`, which toYouTubeError names. Used by the OAuth
 * client (token requests) and both API clients.
 *
 * Not gaxios's own `timeout` option: it joins its timeout signal to the caller's with AbortSignal.any, which on
 * Node 20 holds that signal weakly, and a garbage collection in between drops it — a report request given the
 * run's signal and a 0.3 s timeout was still dripping 5 s later. The deadline (requestTimeout.ts) is held by its
 * own timer until the answer is read to its end.
 */
function answerFetch(seconds: number): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const host = URL.canParse(url) ? new URL(url).host : url;
    const request = `${(init?.method ?? 'GET').toUpperCase()} ${URL.canParse(url) ? new URL(url).pathname : url.split('?')[0]}`;
    let answered = false;
    const deadline = requestDeadline(seconds * 1000, init?.signal ?? undefined, () => new RequestTimedOut(request, host, seconds, answered));
    try {
      const response = await fetch(input, { ...init, signal: deadline.signal });
      answered = true;
      return limitedAnswer(response, () => new AnswerTooLarge(host), deadline.done);
    } catch (error) {
      deadline.done();
      throw error;
    }
  };
}

/** The token fields worth keeping from an OAuth2Client 'tokens' event; absent fields stay absent. */
export interface TokenUpdate {
  access_token?: string;
  refresh_token?: string;
  expiry_date?: number;
  scope?: string;
  token_type?: string;
}

export interface YouTubeClients {
  analytics: youtubeAnalytics_v2.Youtubeanalytics;
  data: youtube_v3.Youtube;
  oauth: OAuthClient;
  /** The clients' secrets (client secret, refresh and access tokens, refreshed ones too): masked in an answer an error quotes. */
  secrets: SecretMasker;
}

/**
 * The two API clients with client-side retries switched off: 429 and 5xx are retried by the engine's task
 * retries instead (visible as task-run states), so a failing request is never retried by two layers.
 * `onTokens` hears every new token, refreshed ones included.
 */
export function createYouTubeClients(
  settings: YouTubeAuthSettings,
  endpoints: GoogleEndpoints,
  onTokens: (tokens: TokenUpdate) => void,
  requestTimeoutSeconds = REQUEST_TIMEOUT_SECONDS,
): YouTubeClients {
  const oauth = createOAuthClient(settings.clientId, settings.clientSecret, endpoints, requestTimeoutSeconds);
  const credentials: { refresh_token: string; access_token?: string; expiry_date?: number } = {
    refresh_token: settings.refreshToken,
  };
  if (settings.accessToken !== undefined) credentials.access_token = settings.accessToken;
  if (settings.expiryDate !== undefined) credentials.expiry_date = settings.expiryDate;
  oauth.setCredentials(credentials);
  const secrets = new SecretMasker([settings.clientSecret, settings.refreshToken, settings.accessToken ?? '']);
  oauth.on('tokens', (tokens) => {
    tokenAnswers.set(oauth, tokens);
    const update = tokenUpdate(tokens);
    secrets.add(update.access_token);
    secrets.add(update.refresh_token);
    onTokens(update);
  });

  const common = { auth: oauth, retry: false, fetchImplementation: answerFetch(requestTimeoutSeconds), ...(endpoints.apiUrl === undefined ? {} : { rootUrl: endpoints.apiUrl }) };
  return {
    analytics: youtubeAnalytics({ version: 'v2', ...common }),
    data: youtube({ version: 'v3', ...common }),
    oauth,
    secrets,
  };
}

/**
 * Makes sure a valid access token is at hand before an API request. google-auth-library retries token
 * requests itself (429, 5xx, no response), so those failures are not retryable for the engine: one layer.
 * A token request that timed out it does not send again (RequestTimedOut): that one the task's retries try
 * again, as they do an API request that timed out.
 */
export async function ensureAccessToken({ oauth, secrets }: Pick<YouTubeClients, 'oauth' | 'secrets'>): Promise<void> {
  tokenAnswers.delete(oauth);
  try {
    await oauth.getAccessToken();
  } catch (error) {
    const answer = tokenAnswers.get(oauth);
    if (tokenAnswers.has(oauth) && !isTokenAnswer(answer)) throw notATokenAnswer(oauth, answer, secrets);
    const failure = toYouTubeError(error, { operation: 'refreshing the access token' });
    const details = { retryable: failure.code === 'request-timeout', ...(failure.status === undefined ? {} : { status: failure.status }), ...(failure.reason === undefined ? {} : { reason: failure.reason }) };
    throw new YouTubeError(failure.code, failure.message, details);
  }
}

/**
 * The token endpoint's last 200, per client. google-auth-library takes whatever it parsed (a proxy's HTML
 * page as a string, `{}`), fails afterwards with an error that has no response, and that read as "Could not
 * reach Google (no response)" though something did answer. Kept here to say what answered instead.
 */
const tokenAnswers = new WeakMap<OAuthClient, unknown>();

function isTokenAnswer(answer: unknown): boolean {
  const token = typeof answer === 'object' && answer !== null ? (answer as { access_token?: unknown }).access_token : undefined;
  return typeof token === 'string' && token !== '';
}

function notATokenAnswer(oauth: OAuthClient, answer: unknown, secrets: SecretMasker): YouTubeError {
  const url = String(oauth.endpoints.oauth2TokenUrl);
  return new YouTubeError(
    'token-endpoint',
    `Google's token endpoint (${URL.canParse(url) ? new URL(url).host : url}) answered while refreshing the access token, but not with ` +
      `an OAuth token: it was ${describeAnswerValue(answer, secrets)}. A proxy, captive portal or gateway may have answered instead of Google: ` +
      'check the network (sign in to the proxy if it asks) and FLOWDECK_GOOGLE_TOKEN_URL if set, then run the flow again.',
  );
}

function tokenUpdate(answer: object): TokenUpdate {
  const tokens = answer as Record<string, unknown>;
  const update: TokenUpdate = {};
  for (const key of ['access_token', 'refresh_token', 'scope', 'token_type'] as const) {
    const value = tokens[key];
    if (typeof value === 'string' && value !== '') update[key] = value;
  }
  if (typeof tokens.expiry_date === 'number') update.expiry_date = tokens.expiry_date;
  return update;
}

function urlSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = nonEmpty(env[name]);
  if (value === undefined) return undefined;
  if (!URL.canParse(value)) throw new YouTubeError('invalid-configuration', `${name} must be an absolute URL (got ${JSON.stringify(value)}).`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
