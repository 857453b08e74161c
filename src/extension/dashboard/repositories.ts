/**
 * GitHub repositories across runs: which runs are of which repository (from their parameters, so no
 * result is read to decide), the charted repository's counts over every stored run, and the repositories
 * compared with it on the star-history chart. Pure: the panel reads what `readsWanted` names and passes it in.
 */
import type { DashboardRun } from './dashboardRun';
import { isTerminal } from '../../engine/states';
import { DEFAULT_REPO } from '../../flows/github/parameters';
import type { ComparedRepository, GithubCounts, GithubSnapshot, GithubView, RunRef } from '../../webview/protocol';
import { readGithubResult, ResultShapeError, type RepoSnapshot } from './results';
import { builtinFlowOf, toRunRef } from './runRefs';

/** How many runs of the charted repository its metrics over time are read from, the newest first. */
export const HISTORY_LIMIT = 400;

/** The repository a github-repo-stats run was asked for (its parameter, or the flow's default). */
export function repoOfRun(run: Pick<DashboardRun, 'parameters'>): string {
  const repo = run.parameters.repo;
  return typeof repo === 'string' && repo !== '' ? repo : DEFAULT_REPO;
}

/** GitHub treats owner/name case-insensitively, and users type it either way. */
export function sameRepository(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** github-repo-stats runs (any state) asked for one of `repos`, in the order given (newest first when sorted). */
export function runsOfRepository(runs: readonly DashboardRun[], ...repos: string[]): DashboardRun[] {
  return runs.filter((r) => builtinFlowOf(r) === 'github-repo-stats' && repos.some((repo) => sameRepository(repoOfRun(r), repo)));
}

/**
 * The charted run's counts over time: every completed run of the same repository whose snapshot was read
 * (oldest first), and the run just before the charted one for the cards' changes.
 */
export function withHistory(view: GithubView, target: DashboardRun, sorted: readonly DashboardRun[], snapshots: ReadonlyMap<string, RepoSnapshot>): GithubView {
  const runs = runsOfRepository(sorted, repoOfRun(target), view.repo).filter((r) => r.state.type === 'COMPLETED');
  const history: (GithubSnapshot & { created: number; run: DashboardRun })[] = [];
  for (const run of runs) {
    const snapshot = run.id === target.id ? { repo: view.repo, fetchedAt: view.fetchedAt, counts: view.counts } : snapshots.get(run.id);
    // A renamed repository or a flow that answered for another one is not this repository's history.
    if (!snapshot || !sameRepository(snapshot.repo, view.repo)) continue;
    history.push({ runId: run.id, fetchedAt: snapshot.fetchedAt, counts: snapshot.counts, created: run.created, run });
  }
  history.sort((a, b) => a.created - b.created);
  const at = history.findIndex((h) => h.runId === target.id);
  const before = at > 0 ? history[at - 1] : undefined;
  const result: GithubView = { ...view, history: history.map(({ runId, fetchedAt, counts }) => ({ runId, fetchedAt, counts })) };
  if (before) {
    result.previous = { run: toRunRef(before.run), fetchedAt: before.fetchedAt, counts: before.counts };
    result.deltas = subtract(view.counts, before.counts);
  }
  return result;
}

function subtract(a: GithubCounts, b: GithubCounts): GithubCounts {
  return {
    stars: a.stars - b.stars,
    forks: a.forks - b.forks,
    watchers: a.watchers - b.watchers,
    openIssues: a.openIssues - b.openIssues,
    openPullRequests: a.openPullRequests - b.openPullRequests,
  };
}

/** Run ids whose snapshots `withHistory` wants for the charted run. */
export function historyRunIds(target: DashboardRun | undefined, sorted: readonly DashboardRun[]): string[] {
  if (!target) return [];
  return runsOfRepository(sorted, repoOfRun(target))
    .filter((r) => r.state.type === 'COMPLETED' && r.id !== target.id)
    .slice(0, HISTORY_LIMIT)
    .map((r) => r.id);
}

/** The latest completed run of each compared repository (those the result is needed of). */
export function latestRunsOf(repos: readonly string[], sorted: readonly DashboardRun[]): Map<string, DashboardRun> {
  const latest = new Map<string, DashboardRun>();
  for (const repo of repos) {
    const run = runsOfRepository(sorted, repo).find((r) => r.state.type === 'COMPLETED');
    if (run) latest.set(repo, run);
  }
  return latest;
}

/** What each compared repository shows; the charted repository itself is left out. */
export function comparedRepositories(
  repos: readonly string[],
  chartedRepo: string | undefined,
  sorted: readonly DashboardRun[],
  results: ReadonlyMap<string, unknown>,
): ComparedRepository[] {
  const latest = latestRunsOf(repos, sorted);
  return repos
    .filter((repo) => chartedRepo === undefined || !sameRepository(repo, chartedRepo))
    .map((repo): ComparedRepository => {
      const run = latest.get(repo);
      if (!run) {
        const attempts = runsOfRepository(sorted, repo);
        const lastAttempt: RunRef | undefined = attempts[0] ? toRunRef(attempts[0]) : undefined;
        return { repo, status: 'waiting', active: attempts.some((r) => !isTerminal(r.state.type)), ...(lastAttempt ? { lastAttempt } : {}) };
      }
      const ref = toRunRef(run);
      if (!results.has(run.id)) return { repo, status: 'unchartable', run: ref, reason: 'The result of this run is not stored.' };
      try {
        const view = readGithubResult(results.get(run.id));
        return { repo: view.repo, status: 'ok', run: ref, starHistory: view.starHistory, starHistorySampled: view.starHistorySampled, releases: view.releases };
      } catch (error) {
        if (!(error instanceof ResultShapeError)) throw error;
        return { repo, status: 'unchartable', run: ref, reason: `Can't chart this result: ${error.message}.` };
      }
    });
}
