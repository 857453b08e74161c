/**
 * A repository's releases for the dashboard's markers: one request (`GET /repos/{owner}/{repo}/releases`,
 * 100 a page, the newest first), so a repository with more than 100 releases shows its latest 100.
 * Drafts are left out: they have no publication date and only people with push access see them.
 */
import { listAnswer } from './answers';
import type { GitHubClient } from './client';
import { conditionalGet } from './etags';
import type { GitHubOptions } from './options';

export interface Release {
  tag: string;
  /** UTC day the release was published, YYYY-MM-DD. */
  date: string;
}

export const RELEASES_PER_PAGE = 100;

interface ReleaseItem {
  tag_name?: unknown;
  published_at?: unknown;
  draft?: unknown;
}

export async function fetchReleases(
  octokit: GitHubClient,
  repo: { owner: string; name: string },
  options: Pick<GitHubOptions, 'kv' | 'baseUrl' | 'logger' | 'secrets'>,
): Promise<Release[]> {
  const { value } = await conditionalGet({
    kv: options.kv,
    key: `${options.baseUrl} GET /repos/${repo.owner}/${repo.name}/releases?per_page=${RELEASES_PER_PAGE}`.toLowerCase(),
    logger: options.logger,
    request: (headers) => octokit.repos.listReleases({ owner: repo.owner, repo: repo.name, per_page: RELEASES_PER_PAGE, headers }),
    extract: (response): Release[] =>
      publishedReleases(listAnswer(response.data, { what: `the releases of ${repo.owner}/${repo.name}`, baseUrl: options.baseUrl, secrets: options.secrets })),
  });
  return value;
}

/** Published releases, oldest first; ties keep GitHub's order reversed (it lists the newest first). */
export function publishedReleases(items: readonly ReleaseItem[]): Release[] {
  const releases: Release[] = [];
  for (const item of items) {
    if (item.draft === true || typeof item.tag_name !== 'string' || typeof item.published_at !== 'string') continue;
    const time = Date.parse(item.published_at);
    if (Number.isNaN(time)) continue;
    releases.push({ tag: item.tag_name, date: new Date(time).toISOString().slice(0, 10) });
  }
  return releases.reverse().sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
