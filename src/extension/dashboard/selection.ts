/** How the webview's messages change what the dashboard shows (the selection). Pure. */
import type { DashboardRun } from './dashboardRun';
import { MAX_COMPARED_REPOSITORIES, type DashboardSelection, type WebviewToHost } from '../../webview/protocol';
import { sameRepository } from './repositories';
import { builtinFlowOf } from './runRefs';

/** How a message from the webview changes the selection. Messages that don't select return it unchanged. */
export function nextSelection(
  current: DashboardSelection,
  message: WebviewToHost,
  runs: readonly DashboardRun[],
): DashboardSelection {
  const next: DashboardSelection = { ...current };
  const set = (key: 'youtubeRunId' | 'githubRunId' | 'logRunId', runId: string | null): void => {
    if (runId === null) delete next[key];
    else next[key] = runId;
  };
  switch (message.type) {
    case 'ready':
      return message.selection ? { ...message.selection } : next;
    case 'runFlow':
      // Whoever starts a run wants to watch it and then see its figures.
      delete next.logRunId;
      set(message.flowId === 'github-repo-stats' ? 'githubRunId' : 'youtubeRunId', null);
      return next;
    case 'selectRun': {
      set('logRunId', message.runId);
      const run = runs.find((r) => r.id === message.runId);
      const flowId = run && run.state.type === 'COMPLETED' ? builtinFlowOf(run) : undefined;
      if (flowId === 'github-repo-stats') set('githubRunId', message.runId);
      if (flowId === 'youtube-channel-analytics') set('youtubeRunId', message.runId);
      return next;
    }
    case 'selectYoutubeRun':
      set('youtubeRunId', message.runId);
      return next;
    case 'selectGithubRun':
      set('githubRunId', message.runId);
      return next;
    case 'showLogs':
      set('logRunId', message.runId);
      return next;
    case 'addRepository': {
      const repos = next.compareRepos ?? [];
      if (repos.some((r) => sameRepository(r, message.repo)) || repos.length >= MAX_COMPARED_REPOSITORIES) return next;
      next.compareRepos = [...repos, message.repo];
      return next;
    }
    case 'removeRepository': {
      const repos = (next.compareRepos ?? []).filter((r) => !sameRepository(r, message.repo));
      if (repos.length > 0) next.compareRepos = repos;
      else delete next.compareRepos;
      return next;
    }
    case 'chooseYoutubeRange':
    case 'saveFile':
    case 'copyText':
    case 'exportTable':
    case 'saveLog':
    case 'openVideo':
    case 'tableRows':
    case 'openLink':
    case 'openRun':
    case 'retryFromFailure':
    case 'showOlderRuns':
      return next;
  }
}
