/**
 * Connecting a YouTube account: Google's OAuth flow for installed apps. The consent page opens in the
 * user's browser and redirects to a one-shot listener on 127.0.0.1; PKCE and a `state` value make sure
 * the code that arrives is the one this process asked for. Used by `flowdeck auth youtube` and by the
 * extension's "Flowdeck: Connect YouTube Account" (each passes its own browser opener).
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretMasker } from '../../engine/secrets';
import { YOUTUBE_SCOPES, createOAuthClient, type GoogleEndpoints } from './client';
import { YouTubeError, toYouTubeError } from './errors';

export const DEFAULT_CONNECT_TIMEOUT_MS = 5 * 60_000;

type AuthUrlOptions = NonNullable<Parameters<ReturnType<typeof createOAuthClient>['generateAuthUrl']>[0]>;

export interface ConnectYouTubeOptions {
  clientId: string;
  clientSecret: string;
  /** Shows Google's consent page to the user: the CLI prints it and runs xdg-open/open, VS Code uses openExternal. */
  openBrowser: (url: string) => unknown;
  /** Replaces Google's authorization page (tests, proxies). */
  authUrl?: string;
  /** Replaces Google's token endpoint (tests, proxies). */
  tokenUrl?: string;
  /** How long to wait for the browser to come back; default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * A fixed loopback redirect such as `http://127.0.0.1:8085/callback`: needed for "Web application" clients,
   * whose redirect URIs must be registered, or to forward the port over SSH. Default: a free port.
   */
  redirectUri?: string;
}

/** What Google issued. Every field but expiry_date, scope and token_type is secret. */
export interface YouTubeTokens {
  access_token: string;
  refresh_token: string;
  /** Epoch milliseconds. */
  expiry_date?: number;
  scope?: string;
  token_type?: string;
}

/**
 * Runs the whole consent flow and returns the tokens. Fails with a YouTubeError: `access-denied`,
 * `state-mismatch`, `timeout`, `cancelled`, `scopes-not-granted`, `no-refresh-token`, or the token
 * endpoint's `invalid-client` / `access-revoked` / `token-endpoint`.
 */
export async function connectYouTube(options: ConnectYouTubeOptions): Promise<YouTubeTokens> {
  const endpoints: GoogleEndpoints = {};
  if (options.authUrl !== undefined) endpoints.authUrl = options.authUrl;
  if (options.tokenUrl !== undefined) endpoints.tokenUrl = options.tokenUrl;
  const client = createOAuthClient(options.clientId, options.clientSecret, endpoints);
  const fixed = options.redirectUri === undefined ? undefined : loopbackRedirect(options.redirectUri);
  const state = randomBytes(24).toString('base64url');
  const { codeVerifier, codeChallenge } = await client.generateCodeVerifierAsync();

  const listener = await listen(fixed?.port ?? 0);
  try {
    const path = fixed?.path ?? '/';
    const redirectUri = `http://127.0.0.1:${listener.port}${path}`;
    const authorizeUrl = client.generateAuthUrl({
      access_type: 'offline',
      scope: [...YOUTUBE_SCOPES],
      state,
      // The enum's type comes from googleapis-common's copy of google-auth-library; its value is this string.
      code_challenge_method: 'S256' as AuthUrlOptions['code_challenge_method'],
      code_challenge: codeChallenge,
      // Without it Google issues a refresh token only the first time an account consents to this client.
      prompt: 'consent',
      redirect_uri: redirectUri,
    });
    const answer = listener.waitForRedirect(path, options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, options.signal);
    // If opening the browser fails, the wait is abandoned (closing the listener settles it).
    answer.catch(() => undefined);
    await options.openBrowser(authorizeUrl);
    const { params, respond } = await answer;
    // A token endpoint's error may echo the request (a proxy, a misconfigured endpoint): what it sent is masked.
    const masker = new SecretMasker([options.clientSecret, codeVerifier, params.get('code') ?? '']);

    try {
      const tokens = await exchange(params, state, async (code) => {
        try {
          return (await client.getToken({ code, codeVerifier, redirect_uri: redirectUri })).tokens as Record<string, unknown>;
        } catch (error) {
          throw toYouTubeError(error, { operation: 'exchanging the authorization code' });
        }
      });
      respond(200, 'Flowdeck is connected to YouTube', 'You can close this tab and return to Flowdeck.');
      return tokens;
    } catch (error) {
      const masked = error instanceof YouTubeError ? maskedError(error, masker) : error;
      const message = masked instanceof YouTubeError ? masked.message : 'Connecting failed.';
      respond(400, 'Flowdeck could not connect to YouTube', `${message} You can close this tab.`);
      throw masked;
    }
  } finally {
    listener.close();
  }
}

/** The same error with every secret masked in what it says (its message and the reason it quotes). */
function maskedError(error: YouTubeError, masker: SecretMasker): YouTubeError {
  const details: ConstructorParameters<typeof YouTubeError>[2] = { retryable: error.retryable };
  if (error.status !== undefined) details.status = error.status;
  if (error.reason !== undefined) details.reason = masker.mask(error.reason);
  return new YouTubeError(error.code, masker.mask(error.message), details);
}

async function exchange(
  params: URLSearchParams,
  expectedState: string,
  getToken: (code: string) => Promise<Record<string, unknown>>,
): Promise<YouTubeTokens> {
  // Checked before anything else: an answer for another request must not be acted on, errors included.
  if (params.get('state') !== expectedState) {
    throw new YouTubeError(
      'state-mismatch',
      'The answer that reached the sign-in listener does not belong to this request (state mismatch), so it was ' +
        'ignored. Start connecting again, and use only the newest sign-in page.',
    );
  }
  const error = params.get('error');
  if (error === 'access_denied') {
    throw new YouTubeError(
      'access-denied',
      "Access was denied on Google's consent page (access_denied). Connect again and choose Allow; if the app is in " +
        '"Testing", add your Google account as a test user in Google Cloud Console first.',
      { reason: error },
    );
  }
  if (error !== null) {
    throw new YouTubeError('authorization-failed', `Google's sign-in ended with the error "${error}". Connect again.`, { reason: error });
  }
  const code = params.get('code');
  if (code === null || code === '') {
    throw new YouTubeError('authorization-failed', 'Google redirected back without an authorization code. Connect again.');
  }

  const tokens = await getToken(code);
  const accessToken = tokens.access_token;
  const refreshToken = tokens.refresh_token;
  if (typeof accessToken !== 'string' || typeof refreshToken !== 'string' || refreshToken === '') {
    throw new YouTubeError(
      'no-refresh-token',
      'Google returned no refresh token, so Flowdeck could not stay connected. Remove Flowdeck\'s access at ' +
        'https://myaccount.google.com/permissions and connect again.',
    );
  }
  const scope = typeof tokens.scope === 'string' ? tokens.scope : undefined;
  if (scope !== undefined) {
    const granted = new Set(scope.split(/\s+/));
    const missing = YOUTUBE_SCOPES.filter((s) => !granted.has(s));
    if (missing.length > 0) {
      throw new YouTubeError(
        'scopes-not-granted',
        `Not every permission was granted (missing ${missing.join(', ')}). Connect again and, on Google's consent ` +
          'page, tick both "View YouTube Analytics reports" and "View your YouTube account".',
      );
    }
  }
  const result: YouTubeTokens = { access_token: accessToken, refresh_token: refreshToken };
  if (typeof tokens.expiry_date === 'number') result.expiry_date = tokens.expiry_date;
  if (scope !== undefined) result.scope = scope;
  if (typeof tokens.token_type === 'string') result.token_type = tokens.token_type;
  return result;
}

interface Redirect {
  params: URLSearchParams;
  /** Answers the browser's request with a small page. */
  respond(status: number, title: string, text: string): void;
}

interface Listener {
  port: number;
  waitForRedirect(path: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Redirect>;
  close(): void;
}

/** Listens on 127.0.0.1 only: the redirect comes from the browser on this machine, nobody else may talk to it. */
async function listen(port: number): Promise<Listener> {
  let onRequest: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let abandon: (() => void) | undefined;
  const server = createServer((req, res) => {
    if (onRequest) onRequest(req, res);
    else page(res, 404, 'Not found', 'Nothing is waiting for a sign-in here.');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new YouTubeError('invalid-configuration', `Port ${port} on 127.0.0.1 is in use; choose another port or let Flowdeck pick one.`)
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      abandon?.();
      server.close();
      server.closeAllConnections();
    },
    waitForRedirect: (path, timeoutMs, signal) =>
      new Promise<Redirect>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new YouTubeError(
              'timeout',
              `Gave up waiting for Google's sign-in page after ${formatDuration(timeoutMs)}: the browser never came back ` +
                'to Flowdeck. Connect again and finish the sign-in in the browser that opens (or open the printed link).',
            ),
          );
        }, timeoutMs);
        const onAbort = (): void => {
          cleanup();
          reject(new YouTubeError('cancelled', 'Connecting to YouTube was cancelled.'));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          onRequest = undefined;
          abandon = undefined;
        };
        abandon = () => {
          cleanup();
          reject(new YouTubeError('cancelled', 'Stopped waiting for the sign-in.'));
        };
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        onRequest = (req, res) => {
          const url = new URL(req.url ?? '/', 'http://127.0.0.1');
          const params = url.searchParams;
          // Browsers also ask for /favicon.ico and the like; only the redirect itself counts.
          if (req.method !== 'GET' || url.pathname !== path || !(params.has('code') || params.has('error') || params.has('state'))) {
            page(res, 404, 'Not found', 'This is not the sign-in redirect.');
            return;
          }
          cleanup();
          resolve({ params, respond: (status, title, text) => page(res, status, title, text) });
        };
      }),
  };
}

function page(res: ServerResponse, status: number, title: string, text: string): void {
  const body =
    '<!doctype html><html><head><meta charset="utf-8"><title>' +
    escapeHtml(title) +
    '</title></head><body style="font-family: system-ui, sans-serif; margin: 3em">' +
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}`;
  return `${Math.round(ms / 100) / 10} seconds`;
}

function loopbackRedirect(uri: string): { port: number; path: string } {
  const url = URL.canParse(uri) ? new URL(uri) : undefined;
  if (!url || url.protocol !== 'http:' || url.hostname !== '127.0.0.1' || url.port === '') {
    throw new YouTubeError(
      'invalid-configuration',
      `The redirect URI must look like http://127.0.0.1:PORT/path (got ${JSON.stringify(uri)}).`,
    );
  }
  return { port: Number(url.port), path: url.pathname };
}

/** The OAuth client from a `client_secret.json` downloaded from Google Cloud Console. */
export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
  /** "installed" (Desktop app: any loopback port works) or "web" (redirect URIs must be registered). */
  kind: 'installed' | 'web';
  /** For web clients: the first registered http://127.0.0.1:PORT redirect, which the listener must use. */
  loopbackRedirectUri?: string;
}

/** A client file is about 400 bytes; past this it is not one (and is not read whole: `/dev/zero` was read to 512 MB). */
const MAX_CLIENT_FILE_BYTES = 64 * 1024;

/** The file's text, or undefined when it holds more than MAX_CLIENT_FILE_BYTES (at most one byte more is read). */
async function clientFileText(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAX_CLIENT_FILE_BYTES + 1);
    let total = 0;
    while (total < buffer.length) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return total > MAX_CLIENT_FILE_BYTES ? undefined : buffer.subarray(0, total).toString('utf8');
  } finally {
    await handle.close();
  }
}

export async function readClientSecretFile(path: string): Promise<OAuthClientConfig> {
  let text: string | undefined;
  try {
    text = await clientFileText(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new YouTubeError(
      'invalid-client-file',
      code === 'ENOENT'
        ? `${path} does not exist. Download the OAuth client's JSON from Google Cloud Console (APIs & Services → Credentials).`
        : `Could not read ${path} (${code ?? 'error'}).`,
    );
  }
  if (text === undefined) {
    throw new YouTubeError('invalid-client-file', `${path} holds more than ${MAX_CLIENT_FILE_BYTES / 1024} KiB, which no OAuth client file does; use the file Google Cloud Console downloads for an OAuth client.`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new YouTubeError('invalid-client-file', `${path} is not JSON; use the file Google Cloud Console downloads for an OAuth client.`);
  }
  const root = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  const kind = root.installed !== undefined ? 'installed' : root.web !== undefined ? 'web' : undefined;
  const section = kind === undefined ? undefined : root[kind];
  const fields = section !== null && typeof section === 'object' ? (section as Record<string, unknown>) : {};
  const clientId = fields.client_id;
  const clientSecret = fields.client_secret;
  if (kind === undefined || typeof clientId !== 'string' || clientId === '' || typeof clientSecret !== 'string' || clientSecret === '') {
    throw new YouTubeError(
      'invalid-client-file',
      `${path} is not an OAuth client file: expected {"installed": {"client_id", "client_secret", ...}} (a "Desktop ` +
        'app" client) or {"web": {...}}.',
    );
  }
  const config: OAuthClientConfig = { clientId, clientSecret, kind };
  if (kind === 'web') {
    const uris = Array.isArray(fields.redirect_uris) ? fields.redirect_uris : [];
    const loopback = uris.find((u): u is string => typeof u === 'string' && /^http:\/\/127\.0\.0\.1:\d+(\/|$)/.test(u));
    if (loopback === undefined) {
      throw new YouTubeError(
        'invalid-client-file',
        `${path} is a "Web application" client without a http://127.0.0.1:PORT redirect URI. Create a "Desktop app" ` +
          'client instead (it accepts any loopback port), or register such a redirect URI for this one.',
      );
    }
    config.loopbackRedirectUri = loopback;
  }
  return config;
}
