/**
 * Every way the YouTube flow and `flowdeck auth youtube` can fail, as one typed error whose message says
 * what to do. Messages are built from status codes, Google's reason codes and Google's own error text,
 * never from request configuration, so tokens and secrets cannot end up in them.
 */
import { MAX_ANSWER_BYTES } from '../limitedAnswer';

export type YouTubeErrorCode =
  | 'invalid-parameters'
  | 'invalid-configuration'
  | 'not-connected'
  | 'unauthorized'
  | 'insufficient-permissions'
  | 'quota-exceeded'
  | 'rate-limited'
  | 'server-error'
  | 'bad-request'
  | 'forbidden'
  | 'no-channel'
  | 'access-revoked'
  | 'invalid-client'
  | 'token-endpoint'
  | 'network'
  | 'unexpected'
  /** A 200 whose body is not what the API sends (a proxy's page, truncated JSON, a count that is no count). */
  | 'unexpected-answer'
  /** A request not answered to its end within the bound of one request (REQUEST_TIMEOUT_SECONDS). */
  | 'request-timeout'
  // Connecting (the OAuth loopback flow).
  | 'invalid-client-file'
  | 'access-denied'
  | 'authorization-failed'
  | 'state-mismatch'
  | 'scopes-not-granted'
  | 'no-refresh-token'
  | 'timeout'
  | 'cancelled';

export interface YouTubeErrorDetails {
  /** Worth trying again after a pause: rate limits, server errors, network failures. */
  retryable?: boolean;
  /** HTTP status of the answer that caused it. */
  status?: number;
  /** Google's reason (`quotaExceeded`) or OAuth error code (`invalid_grant`). */
  reason?: string;
}

export class YouTubeError extends Error {
  override readonly name = 'YouTubeError';
  /** Its message says what happened and what to do: the engine prints it without a stack trace. */
  readonly expected = true;
  readonly retryable: boolean;
  readonly status?: number;
  readonly reason?: string;

  constructor(
    readonly code: YouTubeErrorCode,
    message: string,
    details: YouTubeErrorDetails = {},
  ) {
    super(message);
    this.retryable = details.retryable ?? false;
    if (details.status !== undefined) this.status = details.status;
    if (details.reason !== undefined) this.reason = details.reason;
  }
}

/** The engine's `retryCondition` for the YouTube tasks: only typed errors that say so are retried. */
export function isRetryable(error: unknown): boolean {
  return error instanceof YouTubeError && error.retryable;
}

export const CONNECT_HINT =
  'Connect with `flowdeck auth youtube --client-secret client_secret.json` (an OAuth client of type "Desktop app" ' +
  'from Google Cloud Console), or run "Flowdeck: Connect YouTube Account" in VS Code; for headless runs (CI) set ' +
  'FLOWDECK_GOOGLE_CLIENT_ID, FLOWDECK_GOOGLE_CLIENT_SECRET and FLOWDECK_YOUTUBE_REFRESH_TOKEN.';

export const RECONNECT_HINT =
  'Reconnect with `flowdeck auth youtube --client-secret client_secret.json` or "Flowdeck: Connect YouTube Account" ' +
  'in VS Code (in CI, replace FLOWDECK_YOUTUBE_REFRESH_TOKEN).';

/** What the flow was doing, for messages: "reading the analytics report". */
export interface FailureContext {
  operation: string;
  /** Named in 400 messages so the user sees which query Google refused. */
  query?: string;
}

interface GoogleApiErrorBody {
  code?: number;
  message?: string;
  status?: string;
  errors?: { message?: string; domain?: string; reason?: string }[];
}

interface OAuthErrorBody {
  error: string;
  error_description?: string;
}

/** Thrown into an answer's body past MAX_ANSWER_BYTES (limitedAnswer.ts, client.ts); toYouTubeError names the operation. */
export class AnswerTooLarge extends Error {
  constructor(readonly host: string) {
    super(`answer from ${host} larger than ${MAX_ANSWER_BYTES} bytes`);
  }
}

/**
 * Aborts a request not answered to its end within its bound (client.ts). Its code makes gaxios send it no
 * second time (google-auth-library retries token requests that got no answer): a retry would wait as long again.
 */
export class RequestTimedOut extends Error {
  readonly code = 'AbortError';
  constructor(
    /** `METHOD /path`, without the query. */
    readonly request: string,
    readonly host: string,
    readonly seconds: number,
    /** Whether the answer had begun (status and headers came, the body did not finish). */
    readonly answered: boolean,
  ) {
    super(`no ${answered ? 'end to the answer' : 'answer'} for ${request} from ${host} within ${seconds} s`);
  }
}

function causeOf<T>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let e = error, depth = 0; e !== undefined && e !== null && depth < 5; e = fieldOf(e, 'cause'), depth++) {
    if (e instanceof type) return e;
  }
  return undefined;
}

/**
 * Turns whatever the Google clients threw (a GaxiosError, a network error, an abort) into a YouTubeError.
 * Callers that own an AbortSignal should rethrow `signal.reason` instead when it fired, so the engine sees
 * its own cancellation or timeout.
 */
export function toYouTubeError(error: unknown, context: FailureContext): YouTubeError {
  if (error instanceof YouTubeError) return error;
  const timedOut = causeOf(error, RequestTimedOut);
  if (timedOut) {
    return new YouTubeError(
      'request-timeout',
      `Google's answer for ${timedOut.request} (${timedOut.host}) ${timedOut.answered ? 'began but did not finish' : 'did not come'} within ${timedOut.seconds} s ` +
        `while ${context.operation}, the most one request may take (Google answers in a second or two). The network, a proxy or ` +
        'Google is slow or stuck: check the network and FLOWDECK_GOOGLE_API_URL / FLOWDECK_GOOGLE_TOKEN_URL if set, then try again.',
      { retryable: true },
    );
  }
  const tooLarge = causeOf(error, AnswerTooLarge);
  if (tooLarge) {
    return new YouTubeError(
      'unexpected-answer',
      `Google's answer while ${context.operation} (${tooLarge.host}) is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, far more than Google sends; ` +
        'it was not read further. A proxy, captive portal or gateway may have answered instead of Google: check the network ' +
        'and FLOWDECK_GOOGLE_API_URL / FLOWDECK_GOOGLE_TOKEN_URL if set, then run the flow again.',
    );
  }
  if (isAbort(error)) return new YouTubeError('cancelled', `Stopped while ${context.operation}: the run was cancelled or timed out.`);
  const status = numberField(fieldOf(fieldOf(error, 'response'), 'status'));
  const data = parseBody(fieldOf(fieldOf(error, 'response'), 'data'));

  const oauth = oauthErrorOf(data);
  if (oauth) return tokenError(oauth, status);

  const api = apiErrorOf(data);
  if (status !== undefined) return apiError(status, api, context);

  // fetch's own failure (`fetch failed`) keeps the code in its cause, one or two levels down.
  const code = [error, fieldOf(error, 'cause'), fieldOf(fieldOf(error, 'cause'), 'cause')].map((e) => fieldOf(e, 'code')).find((c) => typeof c === 'string');
  const codeText = typeof code === 'string' ? code : 'no response';
  return new YouTubeError(
    'network',
    `Could not reach Google while ${context.operation} (${codeText}). Check the network connection` +
      ' (and FLOWDECK_GOOGLE_API_URL / FLOWDECK_GOOGLE_TOKEN_URL if set) and try again.',
    { retryable: true },
  );
}

function apiError(status: number, body: GoogleApiErrorBody | undefined, context: FailureContext): YouTubeError {
  const reason = body?.errors?.[0]?.reason;
  const domain = body?.errors?.[0]?.domain;
  const googleMessage = body?.message ?? body?.errors?.[0]?.message;
  const said = googleMessage ? `: ${trimPeriod(googleMessage)}` : '';
  const tag = `${status}${reason ? ` ${reason}` : ''}`;
  const details: YouTubeErrorDetails = reason === undefined ? { status } : { status, reason };

  if (status === 401) {
    return new YouTubeError(
      'unauthorized',
      `Google rejected the YouTube authorization while ${context.operation} (${tag}). ${RECONNECT_HINT}`,
      details,
    );
  }
  if (status === 403 && (reason === 'quotaExceeded' || reason === 'dailyLimitExceeded' || domain === 'youtube.quota')) {
    return new YouTubeError(
      'quota-exceeded',
      `The YouTube API quota of your Google Cloud project is used up for today (${tag}). It resets at midnight ` +
        'Pacific Time; run the flow again after that, or ask for more quota in Google Cloud Console.',
      details,
    );
  }
  if (status === 403 && (reason === 'insufficientPermissions' || reason === 'ACCESS_TOKEN_SCOPE_INSUFFICIENT')) {
    return new YouTubeError(
      'insufficient-permissions',
      `The YouTube authorization lacks a permission needed for ${context.operation} (${tag}). Reconnect and, on ` +
        "Google's consent page, tick both \"View YouTube Analytics reports\" and \"View your YouTube account\". " +
        RECONNECT_HINT,
      details,
    );
  }
  if (status === 429 || (status === 403 && (reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded'))) {
    return new YouTubeError(
      'rate-limited',
      `YouTube answered "too many requests" while ${context.operation} (${tag}). Wait a few minutes and run the flow again.`,
      { ...details, retryable: true },
    );
  }
  if (status >= 500) {
    return new YouTubeError(
      'server-error',
      `Google's servers failed while ${context.operation} (${tag}${said}). This is usually temporary; try again later.`,
      { ...details, retryable: true },
    );
  }
  if (status === 400) {
    const query = context.query ? ` Query: ${context.query}.` : '';
    return new YouTubeError(
      'bad-request',
      `YouTube refused the request while ${context.operation} (${tag}${said}).${query} Check the metrics and dates parameters.`,
      details,
    );
  }
  if (status === 403) {
    return new YouTubeError(
      'forbidden',
      `YouTube refused access while ${context.operation} (${tag}${said}). Make sure the connected Google account ` +
        `owns or manages the channel. ${RECONNECT_HINT}`,
      details,
    );
  }
  return new YouTubeError('unexpected', `YouTube answered HTTP ${tag} while ${context.operation}${said}.`, details);
}

/** Errors from the token endpoint. google-auth-library already retries those itself, so none is retryable here. */
function tokenError(body: OAuthErrorBody, status: number | undefined): YouTubeError {
  const details: YouTubeErrorDetails = status === undefined ? { reason: body.error } : { status, reason: body.error };
  if (body.error === 'invalid_grant') {
    return new YouTubeError(
      'access-revoked',
      'Google refused the stored YouTube authorization (invalid_grant): access was revoked, the password changed, ' +
        'or the refresh token expired (apps whose OAuth consent screen is in "Testing" get tokens that expire after ' +
        `7 days). ${RECONNECT_HINT}`,
      details,
    );
  }
  if (body.error === 'invalid_client' || body.error === 'unauthorized_client') {
    return new YouTubeError(
      'invalid-client',
      `Google rejected the OAuth client (${body.error}): the client ID or secret is wrong, the client was deleted, ` +
        `or the refresh token belongs to another client. ${RECONNECT_HINT}`,
      details,
    );
  }
  const code = status === undefined ? body.error : `HTTP ${status} ${body.error}`;
  return new YouTubeError(
    'token-endpoint',
    `Google's token endpoint failed (${code}). Try again later; if it keeps failing, ${RECONNECT_HINT.charAt(0).toLowerCase()}${RECONNECT_HINT.slice(1)}`,
    details,
  );
}

function apiErrorOf(data: unknown): GoogleApiErrorBody | undefined {
  const error = fieldOf(data, 'error');
  return error !== null && typeof error === 'object' ? (error as GoogleApiErrorBody) : undefined;
}

function oauthErrorOf(data: unknown): OAuthErrorBody | undefined {
  const error = fieldOf(data, 'error');
  if (typeof error !== 'string') return undefined;
  const description = fieldOf(data, 'error_description');
  return typeof description === 'string' ? { error, error_description: description } : { error };
}

function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function isAbort(error: unknown): boolean {
  const name = fieldOf(error, 'name');
  const code = fieldOf(error, 'code');
  return name === 'AbortError' || code === 'AbortError' || code === 'ABORT_ERR';
}

function fieldOf(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

function numberField(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function trimPeriod(text: string): string {
  return text.trim().replace(/\.$/, '');
}
