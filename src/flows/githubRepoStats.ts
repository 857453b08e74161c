/**
 * Built-in flow: a GitHub repository's stars, forks, watchers, open issues and pull requests, its star
 * history and its releases. The logic lives in ./github; this module only gives each step a task run of its own.
 */
import { flow, getRunContext, task } from 'flowdeck';
import { GITHUB_REPO_STATS } from './builtins';
import { githubOptionsFromEnv } from './github/options';
import { GITHUB_TASK_RETRIES } from './github/taskRetries';
import { collectRepoStats, repoSteps, type RepoStats, type RepoStatsSteps } from './github/repoStats';

/** Each task builds its options from its own run context: its logger, its timeout signal. */
function steps(): RepoStatsSteps {
  return repoSteps(githubOptionsFromEnv(process.env, getRunContext()));
}

// Engine retries only for a request that timed out (taskRetries.ts): Octokit's retry plugin already retries
// network failures and 5xx, the throttling plugin waits out rate limits, and what is left (404, 401, a far
// reset) would fail again. Timeouts leave room for those retries (about 15 s) and one rate-limit wait (at most
// about 60 s); each engine retry has its own.
// Each is tagged github-api, so `flowdeck limit set github-api 2` bounds the requests in flight.
const fetchRepo = task({ name: 'fetch-repo', description: 'GET /repos/{owner}/{repo}', timeoutSeconds: 120, tags: ['github-api'], ...GITHUB_TASK_RETRIES }, (repo: string) =>
  steps().fetchRepo(repo),
);

const fetchOpenPullRequests = task(
  { name: 'fetch-open-pull-requests', description: 'Count open pull requests with one request', timeoutSeconds: 120, tags: ['github-api'], ...GITHUB_TASK_RETRIES },
  (repo: string) => steps().fetchOpenPullRequests(repo),
);

const fetchStargazers = task(
  { name: 'fetch-stargazers', description: 'Star history from stargazer dates (sampled for big repositories)', timeoutSeconds: 300, tags: ['github-api'], ...GITHUB_TASK_RETRIES },
  (repo: string, stars: number) => steps().fetchStarHistory(repo, stars),
);

const fetchReleases = task(
  { name: 'fetch-releases', description: 'Published releases, newest 100, with one request', timeoutSeconds: 120, tags: ['github-api'], ...GITHUB_TASK_RETRIES },
  (repo: string) => steps().fetchReleases(repo),
);

export default flow(
  {
    name: GITHUB_REPO_STATS.name,
    description: GITHUB_REPO_STATS.description,
    version: '1',
    timeoutSeconds: 600,
    parameters: GITHUB_REPO_STATS.parameters,
  },
  (parameters: { repo?: string }): Promise<RepoStats> =>
    collectRepoStats(parameters.repo, githubOptionsFromEnv(process.env, getRunContext()), {
      fetchRepo,
      fetchOpenPullRequests,
      fetchStarHistory: fetchStargazers,
      fetchReleases,
    }),
);
