/**
 * A loopback GitHub REST API for tests: answers the few endpoints github-repo-stats uses the way
 * api.github.com does (shapes, Link headers, star+json, ETags and 304, rate-limit headers and errors,
 * the 400-page cap), and records every request so tests can count them and inspect headers.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepoSpec {
  /** `owner/name`; matched case-insensitively like GitHub does. */
  fullName: string;
  id?: number;
  stars?: number;
  forks?: number;
  /** The real watcher count (`subscribers_count`). */
  subscribers?: number;
  /** Open issues only; `open_issues_count` is served as openIssues + openPulls. */
  openIssues?: number;
  openPulls?: number;
  /**
   * Numbers of the open pull requests, which the list gives newest (highest) first; openPulls..1 when absent.
   * Closing one that is not the newest leaves page 1 of the list, and so its ETag, as it was.
   */
  openPullNumbers?: number[];
  /** Visible only to requests with a valid token. */
  private?: boolean;
  /** Time of the first star; later stars follow every `starIntervalSeconds`. Defaults end the list yesterday. */
  firstStarAt?: string;
  starIntervalSeconds?: number;
  /**
   * Every stargazer's star time in list order, taken as given (out of order too, as a list can be when users
   * unstar and star again); replaces firstStarAt and starIntervalSeconds, and its length is the star count.
   */
  starredAt?: string[];
  /** Releases in any order; the list answers newest first, like GitHub. */
  releases?: FakeRelease[];
}

export interface FakeRelease {
  tag: string;
  /** When it was created; a published release is published then too. */
  createdAt: string;
  /** Drafts have no publication date and are listed only to requests with a token (push access). */
  draft?: boolean;
  prerelease?: boolean;
}

export interface FakeGitHubOptions {
  repos?: FakeRepoSpec[];
  /** Tokens that authenticate; any other Authorization header gets 401 Bad credentials. */
  tokens?: string[];
  /** Requests an hour without / with a token (GitHub: 60 / 5,000). */
  anonymousLimit?: number;
  authenticatedLimit?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  status: number;
  /** Whether the request used up one of the hour's requests (a 304 to an authenticated request does not). */
  counted: boolean;
}

/** `answer`: a 200 carrying `body` as is (a proxy's HTML page, truncated JSON, fields of the wrong type). */
/**
 * `other-rate-limit`: a limit in other words than GitHub's usual ones, a 429 Too Many Requests (a gateway's)
 * or, with `status: 403`, GitHub Enterprise Server's "abuse detection mechanism".
 */
/**
 * `drip`: a 200 whose body trickles in, a byte every 50 ms, and never ends; `silent`: no answer at all, the
 * connection left open. Both until the client gives up.
 */
/** `reset`: a 200 whose body breaks off midway, the connection reset (a proxy restarting, a dropped link). */
export type InjectedFailureKind = 'secondary-rate-limit' | 'primary-rate-limit' | 'other-rate-limit' | 'server-error' | 'answer' | 'drip' | 'silent' | 'reset';

export interface InjectedFailure {
  kind: InjectedFailureKind;
  /** Only requests whose path matches; all requests when absent. */
  path?: RegExp;
  /** How many matching requests fail; 1 when absent. */
  times?: number;
  /** `retry-after` of a secondary or other limit, in seconds (60 when absent); no header when null. */
  retryAfterSeconds?: number | null;
  /** Status of an `other-rate-limit`: 429 (the default) or 403. */
  status?: 429 | 403;
  /** Body and content type of an `answer`. */
  body?: string;
  contentType?: string;
  /** Seconds from now to `x-ratelimit-reset` of a primary limit. */
  resetInSeconds?: number;
}

export interface FakeGitHub {
  /** Base URL for Octokit, e.g. http://127.0.0.1:41234 */
  url: string;
  requests: RecordedRequest[];
  /** Makes the next matching request(s) fail the given way. */
  inject(failure: InjectedFailure): void;
  /** Adds or replaces a repository. */
  setRepo(spec: FakeRepoSpec): void;
  close(): Promise<void>;
}

const PER_PAGE_DEFAULT = 30;
const PER_PAGE_MAX = 100;
const MAX_PAGE = 400;
const HOUR_SECONDS = 3600;

const DOCS = {
  notFound: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  badCredentials: 'https://docs.github.com/rest',
  primary: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit',
  secondary: 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
  pagination: 'https://docs.github.com/v3/#pagination',
};

interface PendingFailure extends InjectedFailure {
  times: number;
}

interface Window {
  used: number;
  resetAt: number;
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const repos = new Map<string, Required<FakeRepoSpec>>();
  const tokens = new Set(options.tokens ?? []);
  const windows = new Map<string, Window>();
  const failures: PendingFailure[] = [];
  const requests: RecordedRequest[] = [];
  let nextId = 1_000_000;
  let url = '';

  const setRepo = (spec: FakeRepoSpec) => {
    const stars = spec.starredAt?.length ?? spec.stars ?? 0;
    const interval = spec.starIntervalSeconds ?? 6 * HOUR_SECONDS;
    const firstStarAt = spec.firstStarAt ?? new Date(Date.now() - (stars * interval + 24 * HOUR_SECONDS) * 1000).toISOString();
    repos.set(spec.fullName.toLowerCase(), {
      fullName: spec.fullName,
      // Replacing a repository keeps its id, as an edit on GitHub would.
      id: spec.id ?? repos.get(spec.fullName.toLowerCase())?.id ?? nextId++,
      stars,
      forks: spec.forks ?? 0,
      subscribers: spec.subscribers ?? 0,
      openIssues: spec.openIssues ?? 0,
      openPulls: spec.openPullNumbers?.length ?? spec.openPulls ?? 0,
      openPullNumbers: [...(spec.openPullNumbers ?? Array.from({ length: spec.openPulls ?? 0 }, (_, i) => i + 1))].sort((a, b) => b - a),
      private: spec.private ?? false,
      firstStarAt,
      starIntervalSeconds: interval,
      starredAt: spec.starredAt ?? [],
      releases: spec.releases ?? [],
    });
  };
  for (const spec of options.repos ?? []) setRepo(spec);

  const server = createServer((req, res) => {
    const record: RecordedRequest = { method: req.method ?? 'GET', path: '', query: {}, headers: req.headers, status: 0, counted: false };
    requests.push(record);
    try {
      handle(req, res, record);
    } catch (error) {
      send(res, record, 500, { message: `fake GitHub: ${error instanceof Error ? error.message : String(error)}` });
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    const requestUrl = new URL(req.url ?? '/', url);
    record.path = requestUrl.pathname;
    record.query = Object.fromEntries(requestUrl.searchParams);

    const auth = identify(req.headers.authorization);
    if (auth === 'bad') {
      send(res, record, 401, { message: 'Bad credentials', documentation_url: DOCS.badCredentials, status: '401' });
      return;
    }
    const window = rateWindow(auth);
    const limit = auth === 'anonymous' ? (options.anonymousLimit ?? 60) : (options.authenticatedLimit ?? 5000);
    const rateHeaders = (): Record<string, string> => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - window.used)),
      'x-ratelimit-used': String(window.used),
      'x-ratelimit-reset': String(window.resetAt),
      'x-ratelimit-resource': 'core',
    });

    const failure = takeFailure(record.path);
    if (failure) {
      injectFailure(res, record, failure, rateHeaders());
      return;
    }
    if (window.used >= limit) {
      sendPrimaryLimit(res, record, auth, rateHeaders());
      return;
    }

    const answer = route(req, requestUrl, auth !== 'anonymous');
    const body = JSON.stringify(answer.body);
    const etag = answer.status === 200 ? etagOf(body, req.headers.accept, answer.weakEtag) : undefined;
    // GitHub: a 304 to an authenticated request is free; anonymous conditional requests still count.
    const notModified = etag !== undefined && req.headers['if-none-match'] === etag;
    if (!(notModified && auth !== 'anonymous')) {
      window.used++;
      record.counted = true;
    }
    const headers: Record<string, string> = { ...rateHeaders(), ...(answer.headers ?? {}) };
    if (etag) headers.etag = etag;
    if (notModified) {
      record.status = 304;
      res.writeHead(304, { 'x-github-request-id': requestId(), ...headers });
      res.end();
      return;
    }
    send(res, record, answer.status, answer.body, headers);
  }

  interface Answer {
    status: number;
    body: unknown;
    headers?: Record<string, string>;
    weakEtag?: boolean;
  }

  function route(req: IncomingMessage, requestUrl: URL, authenticated: boolean): Answer {
    const notFound: Answer = { status: 404, body: { message: 'Not Found', documentation_url: DOCS.notFound, status: '404' } };
    if (req.method !== 'GET') return notFound;
    const parts = requestUrl.pathname.split('/').filter(Boolean);
    let repo: Required<FakeRepoSpec> | undefined;
    let rest: string[];
    if (parts[0] === 'repos' && parts.length >= 3) {
      repo = repos.get(`${parts[1]}/${parts[2]}`.toLowerCase());
      rest = parts.slice(3);
    } else if (parts[0] === 'repositories' && parts.length >= 2) {
      repo = [...repos.values()].find((candidate) => String(candidate.id) === parts[1]);
      rest = parts.slice(2);
    } else {
      return notFound;
    }
    if (!repo || (repo.private && !authenticated)) return notFound;
    if (rest.length === 0) return { status: 200, body: repositoryBody(repo) };
    if (rest.length === 1 && rest[0] === 'stargazers') return stargazers(repo, requestUrl, req.headers.accept);
    if (rest.length === 1 && rest[0] === 'pulls') return pulls(repo, requestUrl);
    if (rest.length === 1 && rest[0] === 'releases') return releases(repo, requestUrl, authenticated);
    return notFound;
  }

  function stargazers(repo: Required<FakeRepoSpec>, requestUrl: URL, accept: string | undefined): Answer {
    const { page, perPage } = paging(requestUrl);
    if (page > MAX_PAGE) {
      return {
        status: 422,
        body: {
          message:
            'In order to keep the API fast for everyone, pagination is limited for this resource. Check the rel=last link relation in the Link response header to see how far back you can traverse.',
          documentation_url: DOCS.pagination,
          status: '422',
        },
      };
    }
    const start = (page - 1) * perPage;
    const end = Math.min(repo.stars, start + perPage);
    // Octokit asks for `application/vnd.github.v3.star+json`; the docs spell it without `v3.`.
    const withDates = /application\/vnd\.github(\.v3)?\.star\+json/.test(accept ?? '');
    const first = Date.parse(repo.firstStarAt);
    const items: unknown[] = [];
    for (let i = start; i < end; i++) {
      const user = userBody(repo.id * 1_000 + i);
      const starredAt = repo.starredAt[i] ?? isoSeconds(first + i * repo.starIntervalSeconds * 1000);
      items.push(withDates ? { starred_at: starredAt, user } : user);
    }
    const pages = Math.max(1, Math.ceil(repo.stars / perPage));
    return {
      status: 200,
      body: items,
      weakEtag: true,
      headers: {
        ...linkHeader(`/repositories/${repo.id}/stargazers`, {}, page, perPage, pages),
        'x-github-media-type': withDates ? 'github.v3; param=star; format=json' : 'github.v3; format=json',
      },
    };
  }

  function pulls(repo: Required<FakeRepoSpec>, requestUrl: URL): Answer {
    const state = requestUrl.searchParams.get('state') ?? 'open';
    const { page, perPage } = paging(requestUrl);
    const total = state === 'open' || state === 'all' ? repo.openPulls : 0;
    const items: unknown[] = [];
    for (let i = (page - 1) * perPage; i < Math.min(total, page * perPage); i++) {
      const number = repo.openPullNumbers[i];
      items.push({
        id: repo.id * 10_000 + number,
        number,
        state: 'open',
        title: `Pull request ${number}`,
        user: userBody(7),
        html_url: `https://github.com/${repo.fullName}/pull/${number}`,
      });
    }
    const pages = Math.max(1, Math.ceil(total / perPage));
    return {
      status: 200,
      body: items,
      weakEtag: true,
      headers: linkHeader(`/repositories/${repo.id}/pulls`, { state }, page, perPage, pages),
    };
  }

  function releases(repo: Required<FakeRepoSpec>, requestUrl: URL, authenticated: boolean): Answer {
    const { page, perPage } = paging(requestUrl);
    const listed = repo.releases
      .filter((release) => authenticated || !release.draft)
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    const [owner, name] = repo.fullName.split('/');
    const items = listed.slice((page - 1) * perPage, page * perPage).map((release, i) => {
      const id = repo.id * 1_000 + i + (page - 1) * perPage;
      const html = `https://github.com/${owner}/${name}/releases/${release.draft ? `untagged-${id}` : `tag/${release.tag}`}`;
      return {
        url: `${url}/repos/${repo.fullName}/releases/${id}`,
        html_url: html,
        assets_url: `${url}/repos/${repo.fullName}/releases/${id}/assets`,
        upload_url: `https://uploads.github.com/repos/${repo.fullName}/releases/${id}/assets{?name,label}`,
        tarball_url: release.draft ? null : `${url}/repos/${repo.fullName}/tarball/${release.tag}`,
        zipball_url: release.draft ? null : `${url}/repos/${repo.fullName}/zipball/${release.tag}`,
        id,
        node_id: Buffer.from(`RE_${id}`).toString('base64'),
        tag_name: release.tag,
        target_commitish: 'main',
        name: release.tag,
        body: `Release ${release.tag}`,
        draft: release.draft === true,
        prerelease: release.prerelease === true,
        created_at: release.createdAt,
        // GitHub: a draft has no publication date.
        published_at: release.draft ? null : release.createdAt,
        author: userBody(7),
        assets: [],
      };
    });
    const pages = Math.max(1, Math.ceil(listed.length / perPage));
    return { status: 200, body: items, weakEtag: true, headers: linkHeader(`/repositories/${repo.id}/releases`, {}, page, perPage, pages) };
  }

  function linkHeader(path: string, query: Record<string, string>, page: number, perPage: number, pages: number): Record<string, string> {
    const href = (n: number) => {
      const params = new URLSearchParams({ ...query, per_page: String(perPage), page: String(n) });
      return `<${url}${path}?${params}>`;
    };
    const links: string[] = [];
    if (page > 1) links.push(`${href(page - 1)}; rel="prev"`);
    if (page < pages) links.push(`${href(page + 1)}; rel="next"`, `${href(pages)}; rel="last"`);
    if (page > 1) links.push(`${href(1)}; rel="first"`);
    return links.length > 0 ? { link: links.join(', ') } : {};
  }

  function repositoryBody(repo: Required<FakeRepoSpec>): unknown {
    const [owner, name] = repo.fullName.split('/');
    const text = JSON.stringify(FIXTURE_REPOSITORY)
      .split('https://api.github.com').join(url)
      .split('octokit-fixture-org/hello-world').join(repo.fullName)
      .split('octokit-fixture-org').join(owner)
      .split('hello-world').join(name);
    const body = JSON.parse(text) as Record<string, unknown>;
    const openIssuesCount = repo.openIssues + repo.openPulls;
    return {
      ...body,
      id: repo.id,
      private: repo.private,
      visibility: repo.private ? 'private' : 'public',
      stargazers_count: repo.stars,
      watchers_count: repo.stars,
      watchers: repo.stars,
      subscribers_count: repo.subscribers,
      forks_count: repo.forks,
      forks: repo.forks,
      open_issues_count: openIssuesCount,
      open_issues: openIssuesCount,
    };
  }

  function identify(authorization: string | undefined): string | 'anonymous' | 'bad' {
    if (!authorization) return 'anonymous';
    const match = /^(?:token|bearer)\s+(.+)$/i.exec(authorization);
    return match && tokens.has(match[1]) ? `token:${match[1]}` : 'bad';
  }

  function rateWindow(identity: string): Window {
    const now = Math.floor(Date.now() / 1000);
    let window = windows.get(identity);
    if (!window || window.resetAt <= now) {
      window = { used: 0, resetAt: now + HOUR_SECONDS };
      windows.set(identity, window);
    }
    return window;
  }

  function takeFailure(path: string): PendingFailure | undefined {
    const index = failures.findIndex((failure) => !failure.path || failure.path.test(path));
    if (index < 0) return undefined;
    const failure = failures[index];
    failure.times--;
    if (failure.times <= 0) failures.splice(index, 1);
    return failure;
  }

  function injectFailure(res: ServerResponse, record: RecordedRequest, failure: InjectedFailure, headers: Record<string, string>): void {
    switch (failure.kind) {
      case 'secondary-rate-limit':
        send(
          res,
          record,
          403,
          {
            message:
              'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.',
            documentation_url: DOCS.secondary,
          },
          failure.retryAfterSeconds === null ? headers : { ...headers, 'retry-after': String(failure.retryAfterSeconds ?? 60) },
        );
        return;
      case 'primary-rate-limit': {
        const reset = Math.floor(Date.now() / 1000) + (failure.resetInSeconds ?? HOUR_SECONDS);
        sendPrimaryLimit(res, record, 'anonymous', {
          ...headers,
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': headers['x-ratelimit-limit'],
          'x-ratelimit-reset': String(reset),
        });
        return;
      }
      case 'other-rate-limit': {
        const status = failure.status ?? 429;
        const message =
          status === 429 ? 'Too Many Requests' : 'You have triggered an abuse detection mechanism. Please wait a few minutes before you try again.';
        send(res, record, status, { message }, failure.retryAfterSeconds === null ? headers : { ...headers, 'retry-after': String(failure.retryAfterSeconds ?? 60) });
        return;
      }
      case 'server-error':
        send(res, record, 502, { message: 'Server Error' }, headers);
        return;
      case 'drip': {
        record.status = 200;
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-github-request-id': requestId(), ...headers });
        res.write('[');
        const drip = setInterval(() => res.write(' '), 50);
        res.once('close', () => clearInterval(drip));
        return;
      }
      case 'silent':
        return;
      case 'reset':
        record.status = 200;
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-github-request-id': requestId(), ...headers });
        res.write('{"id":', () => res.socket?.resetAndDestroy());
        return;
      case 'answer':
        record.status = 200;
        res.writeHead(200, { 'content-type': failure.contentType ?? 'application/json; charset=utf-8', 'x-github-request-id': requestId(), ...headers });
        res.end(failure.body ?? '');
        return;
    }
  }

  function sendPrimaryLimit(res: ServerResponse, record: RecordedRequest, identity: string, headers: Record<string, string>): void {
    const message =
      identity === 'anonymous'
        ? "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
        : 'API rate limit exceeded for user ID 1.';
    send(res, record, 403, { message, documentation_url: DOCS.primary }, { ...headers, 'x-ratelimit-remaining': '0' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    inject: (failure) => {
      failures.push({ ...failure, times: failure.times ?? 1 });
    },
    setRepo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let requestCounter = 0;

/** GitHub tags every answer with a request id; Octokit's request log prints it. */
function requestId(): string {
  requestCounter++;
  return `FAKE:${requestCounter.toString(16).toUpperCase().padStart(8, '0')}`;
}

function send(res: ServerResponse, record: RecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
  record.status = status;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-request-id': requestId(), ...headers });
  res.end(JSON.stringify(body));
}

function paging(requestUrl: URL): { page: number; perPage: number } {
  const page = Math.max(1, Number(requestUrl.searchParams.get('page') ?? 1) || 1);
  const perPage = Math.min(PER_PAGE_MAX, Math.max(1, Number(requestUrl.searchParams.get('per_page') ?? PER_PAGE_DEFAULT) || PER_PAGE_DEFAULT));
  return { page, perPage };
}

/** GitHub's ETags are quoted hashes; list answers carry the weak `W/` form. Varies with the media type. */
function etagOf(body: string, accept: string | undefined, weak = false): string {
  const hash = createHash('sha256').update(accept ?? '').update('\0').update(body).digest('hex').slice(0, 32);
  return weak ? `W/"${hash}"` : `"${hash}"`;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function userBody(id: number): Record<string, unknown> {
  const login = `user${id}`;
  return {
    login,
    id,
    node_id: Buffer.from(`04:User${id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false,
  };
}

/** The recorded `GET /repos/octokit-fixture-org/hello-world` answer from @octokit/fixtures (counts normalised to 42). */
const FIXTURE_REPOSITORY: unknown = (() => {
  const file = require.resolve('@octokit/fixtures/scenarios/api.github.com/get-repository/normalized-fixture.json');
  const exchanges = JSON.parse(readFileSync(file, 'utf8')) as { method: string; path: string; response: unknown }[];
  const exchange = exchanges.find((candidate) => candidate.method === 'get' && candidate.path === '/repos/octokit-fixture-org/hello-world');
  if (!exchange) throw new Error('@octokit/fixtures: get-repository scenario not found');
  return exchange.response;
})();
