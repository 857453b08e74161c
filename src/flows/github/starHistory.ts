/**
 * Star history from stargazer dates. Small repositories are read page by page in full; big ones the way
 * star-history.com does it: page 1 tells how many pages there are, then a few pages spread evenly over
 * that range are read at once. The Nth stargazer to star makes the count N on the day it starred.
 */
import type { SecretMasker } from '../../engine/secrets';
import { listAnswer, wrongField, type AnswerContext } from './answers';
import type { GitHubClient } from './client';
import type { GitHubLogger, KeyValueStore } from './options';
import { conditionalGet } from './etags';
import { GitHubError, statusOf } from './errors';

export interface StarPoint {
  /** UTC day, YYYY-MM-DD. */
  date: string;
  stars: number;
}

export const STARGAZERS_PER_PAGE = 100;
/** GitHub answers 422 past this page of any list (40,000 stargazers at 100 a page). */
export const MAX_STARGAZER_PAGE = 400;
/** Requests spent on stargazers for a big repository; star-history.com uses about the same. */
export const DEFAULT_STARGAZER_REQUESTS = 15;

/** One page of the stargazer list, reduced to what the history needs. */
export interface StargazerPage {
  page: number;
  /** ISO timestamps in list order: oldest first as GitHub lists them, though not always (buildStarHistory). */
  starredAt: string[];
}

/**
 * Which pages to read given the `last` page GitHub reports: all of them when that fits in `maxRequests`,
 * otherwise `maxRequests` pages spread evenly from 1 to the last readable page (never past 400).
 */
export function planStargazerPages(lastPage: number, maxRequests = DEFAULT_STARGAZER_REQUESTS): number[] {
  const last = Math.max(1, Math.min(Math.floor(lastPage), MAX_STARGAZER_PAGE));
  const budget = Math.max(2, Math.floor(maxRequests));
  if (last <= budget) return Array.from({ length: last }, (_, i) => i + 1);
  const pages = new Set<number>();
  for (let i = 0; i < budget; i++) pages.add(1 + Math.round((i * (last - 1)) / (budget - 1)));
  return [...pages].sort((a, b) => a - b);
}

/**
 * One point per UTC day (the day's highest count, i.e. its last), sorted, ending with `totalStars` on
 * `today`. Counts are clamped from the end backwards so the series never decreases and the final value
 * is exactly today's count, even when unstars shrank the list between page reads.
 *
 * The list is not always in star order (a server answering out of order, a user who unstarred and starred
 * again between page reads), and counting by list position then gave an early day a late count, which the
 * clamp flattened the whole curve down to. So the dates read are sorted and the positions read are sorted,
 * and the Nth earliest date gets the Nth smallest position: with every page read that is exactly the number
 * of stars up to that date, whatever the order, and for a sample it is the list order's own estimate.
 */
export function buildStarHistory(pages: readonly StargazerPage[], totalStars: number, today: string): StarPoint[] {
  const stamps: { time: number; date: string }[] = [];
  const counts: number[] = [];
  for (const { page, starredAt } of pages) {
    starredAt.forEach((timestamp, index) => {
      const time = Date.parse(timestamp);
      if (Number.isNaN(time)) return;
      stamps.push({ time, date: new Date(time).toISOString().slice(0, 10) });
      counts.push((page - 1) * STARGAZERS_PER_PAGE + index + 1);
    });
  }
  stamps.sort((a, b) => a.time - b.time);
  counts.sort((a, b) => a - b);
  const byDay = new Map<string, number>();
  stamps.forEach(({ date }, i) => byDay.set(date, Math.max(byDay.get(date) ?? 0, counts[i])));
  const days = [...byDay.keys()].sort();
  // A star stamped after "today" (clock skew) must not end up after the final point.
  const lastDay = days.length > 0 && days[days.length - 1] > today ? days[days.length - 1] : today;
  byDay.set(lastDay, totalStars);
  const points = [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, stars]) => ({ date, stars }));
  for (let i = points.length - 2; i >= 0; i--) {
    points[i].stars = Math.min(points[i].stars, points[i + 1].stars);
  }
  return points;
}

/** Page number of `rel="last"` in a Link header; undefined when absent (the list has one page). */
export function lastPageFromLink(link: string | undefined): number | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="last"/.exec(part);
    if (!match) continue;
    const page = Number(new URL(match[1], 'https://api.github.com').searchParams.get('page'));
    return Number.isInteger(page) && page > 0 ? page : undefined;
  }
  return undefined;
}

export interface StarHistoryOptions {
  baseUrl: string;
  /** Masked in an answer an error quotes (answers.ts). */
  secrets: SecretMasker;
  logger: GitHubLogger;
  kv?: KeyValueStore;
  /** UTC day of the final point. */
  today: string;
  maxRequests?: number;
}

export interface StarHistoryResult {
  points: StarPoint[];
  /** Pages of the list GitHub reports (may exceed the 400 that can be read). */
  lastPage: number;
  pagesRead: number;
  /** True when only a sample of the pages was read. */
  sampled: boolean;
}

interface StoredPage {
  starredAt: string[];
  lastPage: number;
}

export async function fetchStarHistory(
  octokit: GitHubClient,
  repo: { owner: string; name: string },
  totalStars: number,
  options: StarHistoryOptions,
): Promise<StarHistoryResult> {
  if (totalStars === 0) {
    return { points: buildStarHistory([], 0, options.today), lastPage: 0, pagesRead: 0, sampled: false };
  }
  const first = await fetchPage(octokit, repo, 1, options);
  // The star count bounds the list too: page 1 of a list that grew answers 304 (its oldest stargazers did not
  // change) with the `last` page stored when it was read, and a proxy may drop the Link header altogether.
  const lastPage = Math.max(first.lastPage, Math.ceil(totalStars / STARGAZERS_PER_PAGE));
  const plan = planStargazerPages(lastPage, options.maxRequests);
  const rest = plan.filter((page) => page !== 1);
  const settled = await Promise.allSettled(rest.map((page) => fetchPage(octokit, repo, page, options)));
  const pages: StargazerPage[] = [{ page: 1, starredAt: first.starredAt }];
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') {
      pages.push({ page: rest[i], starredAt: outcome.value.starredAt });
    } else if (statusOf(outcome.reason) === 422) {
      // A server with a lower pagination cap than github.com (or a list that shrank): fewer points, same curve.
      options.logger.warning(`Stargazer page ${rest[i]} is beyond what GitHub lists (422); skipped`);
    }
  });
  const failure = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected' && statusOf(outcome.reason) !== 422);
  if (failure) throw failure.reason;
  return {
    points: buildStarHistory(pages, totalStars, options.today),
    lastPage,
    pagesRead: pages.length,
    sampled: plan.length < lastPage,
  };
}

async function fetchPage(
  octokit: GitHubClient,
  repo: { owner: string; name: string },
  page: number,
  options: StarHistoryOptions,
): Promise<StoredPage> {
  const path = `/repos/${repo.owner}/${repo.name}/stargazers`.toLowerCase();
  const { value } = await conditionalGet({
    kv: options.kv,
    key: `${options.baseUrl} GET ${path}?per_page=${STARGAZERS_PER_PAGE}&page=${page} star+json`,
    logger: options.logger,
    request: (headers) =>
      octokit.activity.listStargazersForRepo({
        owner: repo.owner,
        repo: repo.name,
        per_page: STARGAZERS_PER_PAGE,
        page,
        mediaType: { format: 'star+json' },
        headers,
      }),
    extract: (response): StoredPage => ({
      starredAt: starredDates(response.data, page, { what: `stargazer page ${page} of ${repo.owner}/${repo.name}`, baseUrl: options.baseUrl, secrets: options.secrets }),
      // Without a `last` link the list ends on this page.
      lastPage: lastPageFromLink(response.headers.link) ?? page,
    }),
  });
  return value;
}

/** GitHub's time stamps: ISO 8601, in UTC or with an offset. */
const STARRED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The star+json media type turns each user into `{ starred_at, user }`; plain users mean it was ignored. */
function starredDates(data: unknown, page: number, context: AnswerContext): string[] {
  return listAnswer(data, context).map((item) => {
    if (typeof item.starred_at !== 'string') {
      throw new GitHubError('unexpected-answer', `Stargazer page ${page} has no starred_at dates; the server ignored the star+json media type`);
    }
    // A date that does not read was dropped from the history, which then ended Completed with one point today.
    if (!STARRED_AT.test(item.starred_at) || Number.isNaN(Date.parse(item.starred_at))) {
      throw wrongField(context, 'starred_at', item.starred_at, 'a date and time (2024-06-01T12:00:00Z)');
    }
    return item.starred_at;
  });
}
