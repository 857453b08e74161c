/**
 * The github-repo-stats flow's logic, free of the engine: four steps (repository, open pull requests,
 * star history, releases) and the function that combines them and logs the summary. The flow module runs each step
 * as an engine task; tests call the same functions directly against a fake server.
 */
import {
  createGitHubClient,
  DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS,
  DEFAULT_RETRIES,
  describeStats,
  MAX_ANSWER_BYTES,
  REQUEST_TIMEOUT_SECONDS,
  SECONDARY_LIMIT_FALLBACK_SECONDS,
  type GitHubClient,
  type TimedOutRequest,
} from './client';
import { listAnswer, repositoryAnswer } from './answers';
import { conditionalGet } from './etags';
import { GitHubError, hostOf, toGitHubError } from './errors';
import type { GitHubOptions } from './options';
import { DEFAULT_REPO, REPO_PATTERN } from './parameters';
import { fetchReleases, type Release } from './releases';
import { fetchStarHistory, lastPageFromLink, type StarPoint } from './starHistory';

export type { Release } from './releases';
export type { StarPoint } from './starHistory';

export { DEFAULT_REPO, REPO_PATTERN } from './parameters';

export interface RepoStats {
  /** `owner/name` as GitHub spells it (it may differ in case from the parameter, or after a rename). */
  repo: string;
  stars: number;
  forks: number;
  /** People watching the repository (`subscribers_count`; `watchers_count` is the star count). */
  watchers: number;
  /** Open issues without pull requests. */
  openIssues: number;
  openPullRequests: number;
  starHistory: StarPoint[];
  /**
   * True when only some stargazer pages were read (big repositories): between the sampled pages the
   * curve is a straight line, not a day-by-day count.
   */
  starHistorySampled: boolean;
  /** Published releases (drafts left out), oldest first; at most the 100 latest. */
  releases: Release[];
  /** ISO time the figures were assembled. */
  fetchedAt: string;
}

/** What `fetch-repo` returns: the counts from one `GET /repos/{owner}/{repo}`. */
export interface RepoSummary {
  repo: string;
  stars: number;
  forks: number;
  watchers: number;
  /** GitHub's `open_issues_count`, which counts open pull requests too. */
  openIssuesAndPullRequests: number;
}

/** The steps the flow runs as tasks; arguments and results are plain data so the engine can record them. */
export interface RepoStatsSteps {
  fetchRepo(repo: string): Promise<RepoSummary>;
  fetchOpenPullRequests(repo: string): Promise<number>;
  fetchStarHistory(repo: string, stars: number): Promise<StarHistory>;
  fetchReleases(repo: string): Promise<Release[]>;
}

/** What `fetch-stargazers` returns. */
export interface StarHistory {
  points: StarPoint[];
  sampled: boolean;
}

/**
 * `owner/name` split and checked; anything else is rejected before a request is made. No default here: the
 * flow applies DEFAULT_REPO to an absent parameter, and a later step given no name is a bug, not a request
 * for PrefectHQ/prefect.
 */
export function parseRepoName(value: unknown): { owner: string; name: string; fullName: string } {
  if (typeof value !== 'string' || !new RegExp(REPO_PATTERN).test(value)) {
    // The pattern admits dots, but not "." or ".." as a name: URL handling would resolve them as path segments.
    if (typeof value === 'string' && /^[^/]+\/\.\.?$/.test(value)) {
      throw new GitHubError('invalid-repo', `Parameter 'repo' has an invalid repository name: '${value}' ('.' and '..' are not names)`);
    }
    const shown = typeof value === 'string' ? `'${value}'` : value === undefined ? 'nothing' : value === null ? 'null' : typeof value;
    throw new GitHubError('invalid-repo', `Parameter 'repo' must be "owner/name", e.g. ${DEFAULT_REPO}; got ${shown}`);
  }
  const [owner, name] = value.split('/');
  return { owner, name, fullName: value };
}

/** Direct implementations of the steps: one Octokit client per step, errors mapped to GitHubErrors. */
export function repoSteps(options: GitHubOptions): RepoStatsSteps {
  return {
    fetchRepo: (repo) => withClient(options, repo, 'repository', (octokit) => fetchRepo(octokit, repo, options)),
    fetchOpenPullRequests: (repo) =>
      withClient(options, repo, 'open pull requests', (octokit) => fetchOpenPullRequests(octokit, repo, options)),
    fetchStarHistory: (repo, stars) =>
      withClient(options, repo, 'stargazers', async (octokit) => {
        const { owner, name } = parseRepoName(repo);
        const today = new Date((options.now ?? Date.now)()).toISOString().slice(0, 10);
        const result = await fetchStarHistory(octokit, { owner, name }, stars, { ...options, today });
        const span = result.points.length > 0 ? ` from ${result.points[0].date} to ${result.points[result.points.length - 1].date}` : '';
        const how = result.sampled
          ? `sampled ${result.pagesRead} of ${result.lastPage} pages${result.lastPage > 400 ? ' (GitHub lists at most 400)' : ''}`
          : `read ${result.pagesRead} page${result.pagesRead === 1 ? '' : 's'}`;
        options.logger.info(`Star history: ${result.points.length} points${span}; ${how}`);
        return { points: result.points, sampled: result.sampled };
      }),
    fetchReleases: (repo) =>
      withClient(options, repo, 'releases', async (octokit) => {
        const releases = await fetchReleases(octokit, parseRepoName(repo), options);
        options.logger.info(`Releases: ${releases.length}${releases.length > 0 ? `, the latest ${releases[releases.length - 1].tag} on ${releases[releases.length - 1].date}` : ''}`);
        return releases;
      }),
  };
}

async function withClient<T>(options: GitHubOptions, repo: string, what: string, body: (octokit: GitHubClient) => Promise<T>): Promise<T> {
  const { octokit, stats } = await createGitHubClient(options);
  try {
    const result = await body(octokit);
    if (stats.oversized !== undefined) throw oversizedAnswer(stats.oversized, options.baseUrl);
    if (stats.timedOut !== undefined) throw timedOut(stats.timedOut, options);
    return result;
  } catch (error) {
    // The engine's own cancel/timeout error is what it expects back, not a network failure.
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    // Octokit read the cut-off answer as an empty one: what went wrong is its size.
    if (stats.oversized !== undefined) throw oversizedAnswer(stats.oversized, options.baseUrl);
    // Likewise an answer that stopped coming: what went wrong is its time.
    if (stats.timedOut !== undefined) throw timedOut(stats.timedOut, options);
    throw toGitHubError(error, {
      repo,
      baseUrl: options.baseUrl,
      token: options.token,
      retries: options.retries ?? DEFAULT_RETRIES,
      maxRateLimitWaitSeconds: options.maxRateLimitWaitSeconds ?? DEFAULT_MAX_RATE_LIMIT_WAIT_SECONDS,
      secondaryLimitFallbackSeconds: SECONDARY_LIMIT_FALLBACK_SECONDS,
    });
  } finally {
    options.logger.debug(`GitHub ${what}: ${describeStats(stats)}`);
  }
}

function oversizedAnswer(request: string, baseUrl: string): GitHubError {
  return new GitHubError(
    'unexpected-answer',
    `GitHub's answer for ${request} (${hostOf(baseUrl)}) is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MiB, far more than GitHub sends; ` +
      'it was not read further. A proxy, captive portal or gateway may have answered instead of GitHub: check the network ' +
      'and FLOWDECK_GITHUB_API_URL, then run the flow again.',
  );
}

function timedOut({ request, answered }: TimedOutRequest, options: GitHubOptions): GitHubError {
  const seconds = options.requestTimeoutSeconds ?? REQUEST_TIMEOUT_SECONDS;
  return new GitHubError(
    'timeout',
    `GitHub's answer for ${request} (${hostOf(options.baseUrl)}) ${answered ? 'began but did not finish' : 'did not come'} within ${seconds} s, ` +
      'the most one request may take (GitHub answers in a second or two). The network, a proxy or GitHub is slow or stuck: ' +
      `check the network${options.baseUrl === 'https://api.github.com' ? '' : ' and FLOWDECK_GITHUB_API_URL'}, then run the flow again.`,
    { retryable: true },
  );
}

export async function fetchRepo(octokit: GitHubClient, repo: string, options: GitHubOptions): Promise<RepoSummary> {
  const { owner, name } = parseRepoName(repo);
  const { value, notModified } = await conditionalGet({
    kv: options.kv,
    key: `${options.baseUrl} GET /repos/${owner}/${name}`.toLowerCase(),
    logger: options.logger,
    request: (headers) => octokit.repos.get({ owner, repo: name, headers }),
    extract: ({ data }): RepoSummary => {
      const answer = repositoryAnswer(data, { what: `the repository ${repo}`, baseUrl: options.baseUrl, secrets: options.secrets });
      return {
        repo: answer.fullName,
        stars: answer.stars,
        forks: answer.forks,
        watchers: answer.watchers,
        openIssuesAndPullRequests: answer.openIssuesAndPullRequests,
      };
    },
  });
  if (notModified) options.logger.info(`${value.repo} unchanged since the last run (304 Not Modified); using the stored figures`);
  return value;
}

/**
 * Counts open pull requests with one request: `per_page=1` makes the `last` page number the count. Not a
 * conditional request: the ETag vouches for the page's body, the newest open pull request, and that stays the
 * same when an older one is merged or closed; a 304 then brought back the stored count, one too many.
 */
export async function fetchOpenPullRequests(octokit: GitHubClient, repo: string, options: GitHubOptions): Promise<number> {
  const { owner, name } = parseRepoName(repo);
  const response = await octokit.pulls.list({ owner, repo: name, state: 'open', per_page: 1 });
  // The body is checked even when the Link header gives the count: a page that is not a list is not GitHub's.
  const items = listAnswer(response.data, { what: `the open pull requests of ${repo}`, baseUrl: options.baseUrl, secrets: options.secrets });
  return lastPageFromLink(response.headers.link) ?? items.length;
}

/**
 * The flow's body: validate, announce how it authenticates, run the steps (pull requests, stars and
 * releases at the same time, all after the repository so a missing one fails once), log the summary.
 */
export async function collectRepoStats(repo: unknown, options: GitHubOptions, steps: RepoStatsSteps = repoSteps(options)): Promise<RepoStats> {
  const { fullName } = parseRepoName(repo === undefined ? DEFAULT_REPO : repo);
  const { logger } = options;
  if (options.token) {
    logger.debug(`Authenticating to ${options.baseUrl} with GITHUB_TOKEN`);
  } else {
    logger.warning(
      'No GITHUB_TOKEN set: reading anonymously, public repositories only, 60 requests an hour. ' +
        'Sign in to GitHub from Flowdeck or set GITHUB_TOKEN for 5,000 requests an hour.',
    );
  }
  const summary = await steps.fetchRepo(fullName);
  const [pulls, history, releases] = await Promise.allSettled([
    steps.fetchOpenPullRequests(summary.repo),
    steps.fetchStarHistory(summary.repo, summary.stars),
    steps.fetchReleases(summary.repo),
  ]);
  if (pulls.status === 'rejected') throw pulls.reason;
  if (history.status === 'rejected') throw history.reason;
  if (releases.status === 'rejected') throw releases.reason;
  const stats: RepoStats = {
    repo: summary.repo,
    stars: summary.stars,
    forks: summary.forks,
    watchers: summary.watchers,
    openIssues: Math.max(0, summary.openIssuesAndPullRequests - pulls.value),
    openPullRequests: pulls.value,
    starHistory: history.value.points,
    starHistorySampled: history.value.sampled,
    releases: releases.value,
    fetchedAt: new Date((options.now ?? Date.now)()).toISOString(),
  };
  for (const line of statsLines(stats)) logger.info(line);
  return stats;
}

/** The summary lines, in the shape of Prefect's getting-started example. */
export function statsLines(stats: RepoStats): string[] {
  return [
    `${stats.repo} repository statistics 📊:`,
    `Stars 🌟 : ${stats.stars}`,
    `Forks 🍴 : ${stats.forks}`,
    `Watchers 👀 : ${stats.watchers}`,
    `Open issues 🐛 : ${stats.openIssues}`,
    `Open pull requests 🔀 : ${stats.openPullRequests}`,
  ];
}
