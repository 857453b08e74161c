/**
 * A loopback Google for tests: YouTube Analytics v2 `reports.query` (by day, and by video for top videos),
 * YouTube Data v3 `channels.list` and `videos.list`, the
 * OAuth token endpoint (authorization_code with PKCE S256 verification, refresh_token, invalid_grant) and a
 * consent page that redirects straight back, so a test can play the browser. Answers take Google's shapes
 * (resultTable columns in the order asked, `rows` left out when there is no data, counts as strings, error
 * bodies with reason and domain), and every request is recorded so tests can count them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const ANALYTICS_SCOPE = 'https://www.googleapis.com/auth/yt-analytics.readonly';
export const YOUTUBE_SCOPE = 'https://www.googleapis.com/auth/youtube.readonly';

export interface FakeChannel {
  id: string;
  title: string;
  /** Counts are sent as strings, like the real API's; a string here is sent as it is ("abc", "-5"). */
  subscribers: number | string;
  views: number | string;
  videos: number | string;
  hiddenSubscriberCount?: boolean;
}

export interface FakeVideo {
  /** 11 characters, like YouTube's. */
  id: string;
  title: string;
  publishedAt: string;
  /** Scales the video's daily figures; the default videos have distinct weights, so views differ. */
  weight: number;
  /** Reported by Analytics but no longer returned by videos.list. */
  deleted?: boolean;
}

/** Twelve videos with distinct weights: the top ten by views are the twelve minus the two lightest. */
export const DEFAULT_VIDEOS: readonly FakeVideo[] = Array.from({ length: 12 }, (_, i) => ({
  id: `vid${String(i).padStart(2, '0')}Abc-_x`,
  title: `Video ${i + 1}: ${['Getting started', 'Flows and tasks', 'Retries', 'Caching', 'Timeouts', 'Run history', 'The dashboard', 'GitHub stars', 'YouTube analytics', 'Exports', 'CI', 'Q&A'][i]}`,
  publishedAt: new Date(Date.UTC(2024, 0, 5 + i * 14, 16, 0, 0)).toISOString().replace('.000Z', 'Z'),
  weight: [0.9, 2.5, 1.3, 0.4, 3.1, 1.7, 0.2, 2.2, 1.1, 0.7, 2.8, 0.55][i]!,
}));

/** A video's figures for a day: its weight times a wave of its own. */
export function videoFigures(video: FakeVideo, index: number, day: string): Record<string, number> {
  const n = Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
  const views = Math.round(video.weight * (20 + ((n + index * 3) % 11)));
  return { views, estimatedMinutesWatched: views * 3, likes: Math.floor(views / 10), averageViewDuration: 90 + index * 7, comments: Math.floor(views / 40), shares: Math.floor(views / 50) };
}

export interface FakeGoogleOptions {
  clientId?: string;
  clientSecret?: string;
  /** The account's channel; null for an account without one. */
  channel?: FakeChannel | null;
  /** Daily figures by day; default {@link defaultFigures}. */
  figures?: (day: string) => Record<string, number>;
  /** The last day with data; later days have no rows, like YouTube's two-to-three-day lag. */
  lastDataDay?: string;
  /** No rows at all: the answer leaves `rows` out. */
  noData?: boolean;
  /** The channel's videos; default {@link DEFAULT_VIDEOS}. */
  videos?: readonly FakeVideo[];
  /** What the consent page does. */
  consent?: 'approve' | 'deny';
  /** Scopes the user leaves ticked on the consent page; default everything asked for. */
  grantScopes?: string[];
  accessTokenSeconds?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** Repeated parameters (`part=snippet&part=statistics`, as the generated clients send arrays) joined with commas. */
  query: Record<string, string>;
  /** Form fields of token requests. */
  form: Record<string, string>;
  headers: IncomingHttpHeaders;
  status: number;
}

export type FailureKind =
  | 'unauthorized'
  | 'insufficientPermissions'
  | 'quotaExceeded'
  | 'rateLimitExceeded'
  | 'serverError'
  | 'badRequest'
  | 'tokenServerError'
  /** The token endpoint refuses with an error that quotes the request's form (as a proxy might). */
  | 'tokenEchoesRequest'
  /** A 200 that is a proxy's or captive portal's HTML page, not Google's JSON. */
  | 'proxyPage'
  /** A 200 whose JSON breaks off (a dropped connection behind a proxy). */
  | 'truncatedJson'
  /** A 200 with `{}`: JSON, but none of the fields asked for. */
  | 'emptyJson'
  /** A 200 whose body trickles in, a byte every 50 ms, and never ends (until the client gives up). */
  | 'drip'
  /** No answer at all, the connection left open. */
  | 'silent';

export interface InjectedFailure {
  kind: FailureKind;
  /** Which paths fail; default the API paths (or the token path for tokenServerError). */
  path?: RegExp;
  /** How many matching requests fail; default 1, Infinity for all. */
  times?: number;
  /** Only requests whose query has these values, e.g. `{ dimensions: 'video' }`. */
  query?: Record<string, string>;
}

export interface BrowserVisit {
  /** Where the consent page redirected to (the app's loopback listener, with code and state). */
  location: string;
  status: number;
  body: string;
}

export interface FakeGoogle {
  /** Root URL of both APIs (FLOWDECK_GOOGLE_API_URL). */
  url: string;
  tokenUrl: string;
  authUrl: string;
  clientId: string;
  clientSecret: string;
  requests: RecordedRequest[];
  /** A refresh token as if the user had connected, granting `scopes` (default both). */
  issueRefreshToken(scopes?: string[]): string;
  revoke(refreshToken: string): void;
  /** Whether an access token is currently valid. */
  isValidAccessToken(token: string): boolean;
  inject(failure: InjectedFailure): void;
  /** Drops every injected failure not used up yet. */
  clearFailures(): void;
  set(options: Partial<FakeGoogleOptions>): void;
  /** Plays the browser: opens the consent page, follows its redirect to the app, returns the app's page. */
  visit(authorizeUrl: string, tamper?: (location: URL) => void): Promise<BrowserVisit>;
  close(): Promise<void>;
}

const KNOWN_METRICS = new Set([
  'views',
  'estimatedMinutesWatched',
  'averageViewDuration',
  'averageViewPercentage',
  'likes',
  'dislikes',
  'comments',
  'shares',
  'subscribersGained',
  'subscribersLost',
  'videosAddedToPlaylists',
  'videosRemovedFromPlaylists',
]);

const FLOAT_METRICS = new Set(['averageViewPercentage']);

/**
 * Deterministic figures for a day. Some days have negative likes (un-likes exceeding likes), as real
 * answers do.
 */
export function defaultFigures(day: string): Record<string, number> {
  const n = Math.floor(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
  const views = 100 + (n % 17) * 3;
  return {
    views,
    estimatedMinutesWatched: views * 2 + (n % 5),
    averageViewDuration: 60 + (n % 30),
    averageViewPercentage: 40 + (n % 10) / 4,
    likes: n % 7 === 3 ? -1 : n % 11 === 0 ? -3 : n % 9,
    dislikes: n % 2,
    comments: n % 4,
    shares: n % 3,
    subscribersGained: n % 5,
    subscribersLost: n % 2,
    videosAddedToPlaylists: n % 3,
    videosRemovedFromPlaylists: 0,
  };
}

interface AccessGrant {
  scopes: string[];
  expiresAt: number;
}

interface CodeGrant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  method: string;
  scopes: string[];
}

export async function startFakeGoogle(initial: FakeGoogleOptions = {}): Promise<FakeGoogle> {
  const options: FakeGoogleOptions = {
    clientId: 'fake-client.apps.googleusercontent.com',
    clientSecret: 'GOCSPX-fake-client-secret-value',
    channel: { id: 'UCfakeChannel000000000001', title: 'Fake Channel', subscribers: 1234, views: 567890, videos: 42 },
    videos: DEFAULT_VIDEOS,
    consent: 'approve',
    accessTokenSeconds: 3599,
    ...initial,
  };
  const requests: RecordedRequest[] = [];
  const failures: { kind: FailureKind; times: number; path: RegExp; query: Record<string, string> }[] = [];
  const accessTokens = new Map<string, AccessGrant>();
  const refreshTokens = new Map<string, { scopes: string[]; revoked: boolean }>();
  const codes = new Map<string, CodeGrant>();

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      send(res, 500, { error: { code: 500, message: `fake server bug: ${String(error)}` } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    const form = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(body)) : {};
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: queryRecord(url.searchParams),
      form,
      headers: req.headers,
      status: 0,
    };
    requests.push(record);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      send(res, status, payload, headers);
    };

    const failure = takeFailure(url.pathname, url.searchParams);
    if (failure === 'silent') return;
    if (failure === 'drip') {
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      res.write('{');
      const drip = setInterval(() => res.write(' '), 50);
      res.once('close', () => clearInterval(drip));
      return;
    }
    if (failure) return reply(...failureAnswer(failure, body));

    if (url.pathname === '/o/oauth2/v2/auth' && req.method === 'GET') return consentPage(url, reply);
    if (url.pathname === '/token' && req.method === 'POST') return reply(...tokenAnswer(form));

    const grant = authenticate(req.headers.authorization);
    if (!grant) return reply(...googleError(401, 'authError', 'global', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'));
    if (url.pathname === '/v2/reports' && req.method === 'GET') {
      if (!grant.scopes.includes(ANALYTICS_SCOPE) || !grant.scopes.includes(YOUTUBE_SCOPE)) return reply(...insufficient());
      return reply(...reportAnswer(url.searchParams));
    }
    if (url.pathname === '/youtube/v3/channels' && req.method === 'GET') {
      if (!grant.scopes.includes(YOUTUBE_SCOPE)) return reply(...insufficient());
      return reply(...channelsAnswer(url.searchParams));
    }
    if (url.pathname === '/youtube/v3/videos' && req.method === 'GET') {
      if (!grant.scopes.includes(YOUTUBE_SCOPE)) return reply(...insufficient());
      return reply(...videosAnswer(url.searchParams));
    }
    return reply(...googleError(404, 'notFound', 'global', `No such endpoint in the fake: ${req.method} ${url.pathname}`));
  }

  function takeFailure(path: string, params: URLSearchParams): FailureKind | undefined {
    const index = failures.findIndex((f) => f.path.test(path) && Object.entries(f.query).every(([k, v]) => params.get(k) === v));
    if (index === -1) return undefined;
    const failure = failures[index]!;
    failure.times -= 1;
    if (failure.times <= 0) failures.splice(index, 1);
    return failure.kind;
  }

  function consentPage(url: URL, reply: (status: number, payload: unknown, headers?: Record<string, string>) => void): void {
    const p = url.searchParams;
    const redirectUri = p.get('redirect_uri') ?? '';
    if (p.get('client_id') !== options.clientId) return reply(400, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(redirectUri)) return reply(400, { error: 'redirect_uri_mismatch' });
    if (p.get('response_type') !== 'code' || p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
      return reply(400, { error: 'invalid_request', error_description: 'code, S256 and a code_challenge are required here' });
    }
    const back = new URL(redirectUri);
    const state = p.get('state');
    if (state !== null) back.searchParams.set('state', state);
    if (options.consent === 'deny') {
      back.searchParams.set('error', 'access_denied');
    } else {
      const asked = (p.get('scope') ?? '').split(' ').filter(Boolean);
      const scopes = options.grantScopes ?? asked;
      const code = `4/fake-code-${randomBytes(12).toString('hex')}`;
      codes.set(code, { clientId: options.clientId!, redirectUri, challenge: p.get('code_challenge')!, method: 'S256', scopes });
      back.searchParams.set('code', code);
      back.searchParams.set('scope', scopes.join(' '));
    }
    reply(302, '', { location: back.href });
  }

  function tokenAnswer(form: Record<string, string>): [number, unknown] {
    if (form.client_id !== options.clientId || form.client_secret !== options.clientSecret) {
      return [401, { error: 'invalid_client', error_description: 'Unauthorized' }];
    }
    if (form.grant_type === 'authorization_code') {
      const grant = codes.get(form.code ?? '');
      if (!grant) return [400, { error: 'invalid_grant', error_description: 'Malformed auth code.' }];
      codes.delete(form.code!);
      if (form.redirect_uri !== grant.redirectUri) return [400, { error: 'redirect_uri_mismatch', error_description: 'Bad Request' }];
      if (!form.code_verifier) return [400, { error: 'invalid_grant', error_description: 'Missing code verifier.' }];
      const challenge = createHash('sha256').update(form.code_verifier).digest('base64url');
      if (challenge !== grant.challenge) return [400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' }];
      const refreshToken = newRefreshToken(grant.scopes);
      return [200, { ...newAccessToken(grant.scopes), refresh_token: refreshToken }];
    }
    if (form.grant_type === 'refresh_token') {
      const grant = refreshTokens.get(form.refresh_token ?? '');
      if (!grant || grant.revoked) return [400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' }];
      // Like Google: a refresh answer carries no refresh_token.
      return [200, newAccessToken(grant.scopes)];
    }
    return [400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${form.grant_type ?? ''}` }];
  }

  function newRefreshToken(scopes: string[]): string {
    const token = `1//fake-refresh-${randomBytes(16).toString('hex')}`;
    refreshTokens.set(token, { scopes, revoked: false });
    return token;
  }

  function newAccessToken(scopes: string[]): Record<string, unknown> {
    const token = `ya29.fake-access-${randomBytes(16).toString('hex')}`;
    accessTokens.set(token, { scopes, expiresAt: Date.now() + options.accessTokenSeconds! * 1000 });
    return { access_token: token, expires_in: options.accessTokenSeconds, scope: scopes.join(' '), token_type: 'Bearer' };
  }

  function authenticate(header: string | undefined): AccessGrant | undefined {
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    const grant = token === undefined ? undefined : accessTokens.get(token);
    return grant && grant.expiresAt > Date.now() ? grant : undefined;
  }

  function reportAnswer(p: URLSearchParams): [number, unknown] {
    const startDate = p.get('startDate') ?? '';
    const endDate = p.get('endDate') ?? '';
    const metrics = (p.get('metrics') ?? '').split(',').filter(Boolean);
    if (p.get('ids') !== 'channel==MINE') return badRequest(`Invalid value at 'ids' (${p.get('ids') ?? ''})`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(startDate) || !/^\d{4}-\d{2}-\d{2}$/.test(endDate)) return badRequest('Invalid date: startDate and endDate must be YYYY-MM-DD.');
    if (startDate > endDate) return badRequest('The start date must not be after the end date.');
    if (metrics.length === 0) return badRequest('Required field metrics is missing.');
    const unknown = metrics.find((m) => !KNOWN_METRICS.has(m));
    if (unknown !== undefined) return badRequest(`Unknown identifier (${unknown}) given in field parameters.metrics.`);
    if (p.get('dimensions') === 'video') return videoReport(p, startDate, endDate, metrics);
    if (p.get('dimensions') !== 'day' || (p.get('sort') ?? 'day') !== 'day') return badRequest('The query is not supported.');

    const figures = options.figures ?? defaultFigures;
    const rows: (string | number)[][] = [];
    if (!options.noData) {
      for (let day = startDate; day <= endDate; day = nextDay(day)) {
        if (options.lastDataDay !== undefined && day > options.lastDataDay) break;
        const f = figures(day);
        rows.push([day, ...metrics.map((m) => f[m] ?? 0)]);
      }
    }
    const startIndex = Number(p.get('startIndex') ?? '1');
    const maxResults = p.has('maxResults') ? Number(p.get('maxResults')) : rows.length;
    const page = rows.slice(startIndex - 1, startIndex - 1 + maxResults);
    const answer: Record<string, unknown> = {
      kind: 'youtubeAnalytics#resultTable',
      columnHeaders: [
        { name: 'day', columnType: 'DIMENSION', dataType: 'STRING' },
        ...metrics.map((m) => ({ name: m, columnType: 'METRIC', dataType: FLOAT_METRICS.has(m) ? 'FLOAT' : 'INTEGER' })),
      ],
    };
    // Google leaves the key out altogether when there are no rows.
    if (page.length > 0) answer.rows = page;
    return [200, answer];
  }

  /**
   * The "top videos" report: YouTube serves `dimensions=video` only sorted by a metric, descending, with
   * `maxResults` of at most 200; anything else is "The query is not supported.".
   */
  function videoReport(p: URLSearchParams, startDate: string, endDate: string, metrics: string[]): [number, unknown] {
    const sort = p.get('sort') ?? '';
    const maxResults = Number(p.get('maxResults'));
    if (!sort.startsWith('-') || !metrics.includes(sort.slice(1)) || !p.has('maxResults') || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 200) {
      return badRequest('The query is not supported.');
    }
    const key = sort.slice(1);
    const rows: (string | number)[][] = [];
    if (!options.noData) {
      (options.videos ?? []).forEach((video, index) => {
        const sums: Record<string, number> = {};
        let days = 0;
        for (let day = startDate; day <= endDate; day = nextDay(day)) {
          if (options.lastDataDay !== undefined && day > options.lastDataDay) break;
          if (day < video.publishedAt.slice(0, 10)) continue;
          days++;
          for (const [m, v] of Object.entries(videoFigures(video, index, day))) sums[m] = (sums[m] ?? 0) + v;
        }
        if (days === 0) return;
        // An average over the period, not a sum.
        if (sums.averageViewDuration !== undefined) sums.averageViewDuration = Math.round(sums.averageViewDuration / days);
        rows.push([video.id, ...metrics.map((m) => sums[m] ?? 0)]);
      });
    }
    const column = metrics.indexOf(key) + 1;
    rows.sort((a, b) => (b[column] as number) - (a[column] as number));
    const answer: Record<string, unknown> = {
      kind: 'youtubeAnalytics#resultTable',
      columnHeaders: [
        { name: 'video', columnType: 'DIMENSION', dataType: 'STRING' },
        ...metrics.map((m) => ({ name: m, columnType: 'METRIC', dataType: FLOAT_METRICS.has(m) ? 'FLOAT' : 'INTEGER' })),
      ],
    };
    if (rows.length > 0) answer.rows = rows.slice(0, maxResults);
    return [200, answer];
  }

  function videosAnswer(p: URLSearchParams): [number, unknown] {
    const parts = p.getAll('part').flatMap((part) => part.split(','));
    if (parts.length === 0) return badRequest('No filter selected. Expected one of: myRated, id, chart');
    const ids = p.getAll('id').flatMap((id) => id.split(',')).filter(Boolean);
    if (ids.length === 0) return badRequest('No filter selected. Expected one of: myRated, id, chart');
    if (ids.length > 50) return badRequest('The request specifies an invalid filter parameter.');
    const known = new Map((options.videos ?? []).filter((v) => !v.deleted).map((v) => [v.id, v]));
    // Like YouTube: ids of deleted or private videos are silently left out.
    const items = ids.flatMap((id) => {
      const video = known.get(id);
      if (!video) return [];
      const item: Record<string, unknown> = { kind: 'youtube#video', etag: `etag-${id}`, id };
      if (parts.includes('snippet')) {
        item.snippet = {
          publishedAt: video.publishedAt,
          channelId: options.channel?.id ?? '',
          title: video.title,
          description: '',
          thumbnails: { default: { url: `https://i.ytimg.com/vi/${id}/default.jpg`, width: 120, height: 90 } },
          channelTitle: options.channel?.title ?? '',
          categoryId: '28',
          liveBroadcastContent: 'none',
        };
      }
      return [item];
    });
    return [200, { kind: 'youtube#videoListResponse', etag: 'fake-videos-etag', items, pageInfo: { totalResults: items.length, resultsPerPage: items.length } }];
  }

  function channelsAnswer(p: URLSearchParams): [number, unknown] {
    // Google takes a list either repeated or comma-separated.
    const parts = p.getAll('part').flatMap((part) => part.split(','));
    if (p.get('mine') !== 'true') return badRequest('Only mine=true is served by the fake.');
    const channel = options.channel;
    const answer: Record<string, unknown> = {
      kind: 'youtube#channelListResponse',
      etag: 'fake-etag',
      pageInfo: { totalResults: channel ? 1 : 0, resultsPerPage: 5 },
    };
    if (channel) {
      const item: Record<string, unknown> = { kind: 'youtube#channel', etag: 'fake-item-etag', id: channel.id };
      if (parts.includes('snippet')) item.snippet = { title: channel.title, description: '', publishedAt: '2015-03-01T10:00:00Z' };
      if (parts.includes('statistics')) {
        const hidden = channel.hiddenSubscriberCount === true;
        // Counts are strings in the real API.
        item.statistics = {
          viewCount: String(channel.views),
          ...(hidden ? {} : { subscriberCount: String(channel.subscribers) }),
          hiddenSubscriberCount: hidden,
          videoCount: String(channel.videos),
        };
      }
      answer.items = [item];
    }
    return [200, answer];
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    tokenUrl: `${url}/token`,
    authUrl: `${url}/o/oauth2/v2/auth`,
    get clientId() {
      return options.clientId!;
    },
    get clientSecret() {
      return options.clientSecret!;
    },
    requests,
    issueRefreshToken: (scopes = [ANALYTICS_SCOPE, YOUTUBE_SCOPE]) => newRefreshToken(scopes),
    revoke: (token) => {
      const grant = refreshTokens.get(token);
      if (grant) grant.revoked = true;
    },
    isValidAccessToken: (token) => (accessTokens.get(token)?.expiresAt ?? 0) > Date.now(),
    inject: (failure) => {
      const path = failure.path ?? (failure.kind === 'tokenServerError' || failure.kind === 'tokenEchoesRequest' ? /^\/token$/ : /^\/(v2|youtube)\//);
      failures.push({ kind: failure.kind, path, times: failure.times ?? 1, query: failure.query ?? {} });
    },
    clearFailures: () => {
      failures.length = 0;
    },
    set: (changes) => Object.assign(options, changes),
    visit: async (authorizeUrl, tamper) => {
      const consent = await fetch(authorizeUrl, { redirect: 'manual' });
      const location = consent.headers.get('location');
      if (consent.status !== 302 || location === null) {
        throw new Error(`consent page answered ${consent.status}: ${await consent.text()}`);
      }
      const back = new URL(location);
      tamper?.(back);
      const app = await fetch(back);
      return { location: back.href, status: app.status, body: await app.text() };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function failureAnswer(kind: Exclude<FailureKind, 'drip' | 'silent'>, body: string): [number, unknown, Record<string, string>?] {
  switch (kind) {
    case 'proxyPage':
      return [200, '<html><head><title>Sign in</title></head><body>Sign in to the corporate proxy</body></html>', { 'content-type': 'text/html; charset=utf-8' }];
    case 'emptyJson':
      return [200, {}];
    case 'truncatedJson':
      return [200, '{"kind":"youtubeAnalytics#resultTable","columnHeaders":[{"name":"day"},{"name":"views"}],"rows":[["2024-06-04",5],["2024', { 'content-type': 'application/json; charset=UTF-8' }];
    case 'unauthorized':
      return googleError(401, 'authError', 'global', 'Request had invalid authentication credentials.');
    case 'insufficientPermissions':
      return insufficient();
    case 'quotaExceeded':
      return googleError(403, 'quotaExceeded', 'youtube.quota', 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.');
    case 'rateLimitExceeded':
      return googleError(429, 'rateLimitExceeded', 'global', 'Resource has been exhausted (e.g. check quota).');
    case 'serverError':
      return googleError(500, 'backendError', 'global', 'Internal error encountered.');
    case 'badRequest':
      return badRequest('The query is not supported. Check the documentation at https://developers.google.com/youtube/analytics/v2/available_reports for a list of supported queries.');
    case 'tokenServerError':
      return [503, { error: 'temporarily_unavailable', error_description: 'The service is unavailable.' }];
    case 'tokenEchoesRequest': {
      const said = `Bad credentials: you sent ${body}`;
      return [401, { error: said, error_description: said }];
    }
  }
}

function insufficient(): [number, unknown] {
  return googleError(403, 'insufficientPermissions', 'global', 'Request had insufficient authentication scopes.');
}

function badRequest(message: string): [number, unknown] {
  return googleError(400, 'badRequest', 'global', message);
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
};

function googleError(code: number, reason: string, domain: string, message: string): [number, unknown] {
  return [code, { error: { code, message, errors: [{ message, domain, reason }], status: STATUS_NAMES[code] ?? 'UNKNOWN' } }];
}

function queryRecord(params: URLSearchParams): Record<string, string> {
  const record: Record<string, string> = {};
  for (const key of new Set(params.keys())) record[key] = params.getAll(key).join(',');
  return record;
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  res.writeHead(status, { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json; charset=UTF-8', ...headers });
  res.end(text);
}
