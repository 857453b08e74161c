/**
 * Builds what the dashboard shows from stored runs and their results. Pure: no `vscode`, no I/O, so the
 * panel stays a thin adapter and every choice made here (which run, which previous run, what a bad
 * result looks like) is testable on its own. The panel first asks `readsWanted` which results to read.
 */
import type { LogRecord } from '../../engine/records';
import type { DashboardRun } from './dashboardRun';
import { isTerminal } from '../../engine/states';
import {
  BUILTIN_FLOW_IDS,
  type BuiltinFlowId,
  type DashboardModel,
  type DashboardSelection,
  type GithubView,
  type LogLine,
  type RunRef,
  type SectionWithChoices,
  type YoutubeView,
} from '../../webview/protocol';
import { artifactSections, type FlowArtifacts } from './artifactSections';
import { comparedRepositories, historyRunIds, latestRunsOf, withHistory } from './repositories';
import { readGithubResult, readYoutubeResult, ResultShapeError, type RepoSnapshot } from './results';
import { builtinFlowOf, newestFirst, toRunRef } from './runRefs';
import { rangeChoices } from './youtubeRanges';

export const RECENT_RUNS_LIMIT = 20;
/** Entries in each run picker; the chosen run is always added even when older. */
export const CHOICES_LIMIT = 30;
/** How many older completed runs are tried when the latest one's result can't be charted. */
export const FALLBACK_LIMIT = 3;

export interface DashboardInput {
  runs: readonly DashboardRun[];
  /** Results of completed runs, by run id: those `readsWanted(...).results` names. */
  results: ReadonlyMap<string, unknown>;
  /** Counts of earlier runs of the charted repository: those `readsWanted(...).snapshots` names. */
  snapshots?: ReadonlyMap<string, RepoSnapshot>;
  selection?: DashboardSelection;
  /** The latest artifacts of the flows that have some (./data reads them). */
  artifacts?: readonly FlowArtifacts[];
  now?: number;
}

function completedOf(sorted: readonly DashboardRun[], flowId: BuiltinFlowId): DashboardRun[] {
  return sorted.filter((r) => builtinFlowOf(r) === flowId && r.state.type === 'COMPLETED');
}

interface Target {
  run?: DashboardRun;
  note?: string;
  followingLatest: boolean;
}

/** The chosen completed run of a flow if it still exists, else the latest, with a note on the fallback. */
function resolveTarget(sorted: readonly DashboardRun[], flowId: BuiltinFlowId, chosenId: string | undefined): Target {
  const completed = completedOf(sorted, flowId);
  if (chosenId === undefined) return { run: completed[0], followingLatest: true };
  const chosen = completed.find((r) => r.id === chosenId);
  if (chosen) return { run: chosen, followingLatest: false };
  const other = sorted.find((r) => r.id === chosenId);
  const why = other
    ? builtinFlowOf(other) === flowId
      ? `is ${other.state.name}, not Completed`
      : `is not a ${flowId} run`
    : 'is no longer stored';
  const fallback = completed[0] ? 'showing the latest completed run instead' : 'and there is no completed run to show';
  return { run: completed[0], followingLatest: true, note: `Run '${other?.name ?? chosenId}' ${why}; ${fallback}.` };
}

function unchartable(error: unknown): string {
  if (error instanceof ResultShapeError) return `Can't chart this result: ${error.message}.`;
  throw error;
}

/** One dashboard section: the chosen (or latest) completed run of `flowId`, its result read by `read`, or why there is nothing to chart. */
function chartSection<V>(
  sorted: readonly DashboardRun[],
  results: ReadonlyMap<string, unknown>,
  flowId: BuiltinFlowId,
  chosenId: string | undefined,
  read: (result: unknown, run: DashboardRun) => V,
): SectionWithChoices<V> {
  const completed = completedOf(sorted, flowId);
  const target = resolveTarget(sorted, flowId, chosenId);
  const choices = choicesFor(completed, target.run);
  const base = { choices, followingLatest: target.followingLatest, ...(target.note ? { note: target.note } : {}), ...latestFailure(sorted, flowId, target.run) };
  if (!target.run) return { status: 'none', ...lastAttempt(sorted, flowId), ...base };
  const chart = (candidate: DashboardRun): { view: V } | { reason: string } => {
    if (!results.has(candidate.id)) return { reason: 'The result of this run is not stored.' };
    try {
      return { view: read(results.get(candidate.id), candidate) };
    } catch (error) {
      return { reason: unchartable(error) };
    }
  };
  const charted = chart(target.run);
  if ('view' in charted) return { status: 'ok', run: toRunRef(target.run), view: charted.view, ...base };
  // Following the latest run, one whose result can't be charted doesn't blank the section: the last one
  // that can be is shown, with a note saying why.
  if (target.followingLatest) {
    for (const older of fallbacksOf(completed, target.run)) {
      const fallback = chart(older);
      if ('view' in fallback) {
        return { status: 'ok', run: toRunRef(older), view: fallback.view, ...base, note: `Run ${target.run.name} could not be charted (${charted.reason.replace(/\.$/, '')}); showing run ${older.name}, the latest that could be.` };
      }
    }
  }
  return { status: 'unchartable', run: toRunRef(target.run), reason: charted.reason, ...base };
}

/** The newest run of the flow when it failed after the run a section shows: the section says so at its top. */
export function latestFailure(sorted: readonly DashboardRun[], flowId: BuiltinFlowId, shown: DashboardRun | undefined): { latestFailed?: RunRef } {
  const latest = sorted.find((r) => builtinFlowOf(r) === flowId);
  if (!shown || !latest || latest === shown || latest.created < shown.created) return {};
  return latest.state.type === 'FAILED' || latest.state.type === 'CRASHED' ? { latestFailed: toRunRef(latest) } : {};
}

/** The completed runs just older than `run`, tried in turn when its result can't be charted. */
function fallbacksOf(completed: readonly DashboardRun[], run: DashboardRun): DashboardRun[] {
  const at = completed.indexOf(run);
  return completed.slice(at + 1, at + 1 + FALLBACK_LIMIT);
}

function choicesFor(completed: readonly DashboardRun[], target: DashboardRun | undefined): RunRef[] {
  const picked = completed.slice(0, CHOICES_LIMIT);
  if (target && !picked.includes(target)) picked.push(target);
  return picked.map(toRunRef);
}

function lastAttempt(sorted: readonly DashboardRun[], flowId: BuiltinFlowId): { lastAttempt?: RunRef } {
  const run = sorted.find((r) => builtinFlowOf(r) === flowId);
  return run ? { lastAttempt: toRunRef(run) } : {};
}

export function buildDashboardModel(input: DashboardInput): DashboardModel {
  const sorted = newestFirst(input.runs);
  const selection = input.selection ?? {};
  const now = input.now ?? Date.now();
  const snapshots = input.snapshots ?? new Map<string, RepoSnapshot>();
  const activeByFlow = Object.fromEntries(BUILTIN_FLOW_IDS.map((id) => [id, 0])) as Record<BuiltinFlowId, number>;
  for (const run of sorted) {
    const flowId = builtinFlowOf(run);
    if (flowId && !isTerminal(run.state.type)) activeByFlow[flowId] += 1;
  }
  const chosenLogRun = selection.logRunId === undefined ? undefined : sorted.find((r) => r.id === selection.logRunId);
  const logRun = chosenLogRun ?? sorted[0];
  const youtube: SectionWithChoices<YoutubeView> = chartSection(sorted, input.results, 'youtube-channel-analytics', selection.youtubeRunId, (result) =>
    readYoutubeResult(result),
  );
  const github: SectionWithChoices<GithubView> = chartSection(sorted, input.results, 'github-repo-stats', selection.githubRunId, (result, run) =>
    withHistory(readGithubResult(result), run, sorted, snapshots),
  );
  return {
    generatedAt: now,
    totalRuns: sorted.length,
    recentRuns: sorted.slice(0, RECENT_RUNS_LIMIT).map(toRunRef),
    activeByFlow,
    youtube,
    youtubeRanges: rangeChoices(new Date(now)),
    github,
    compared: comparedRepositories(selection.compareRepos ?? [], github.status === 'ok' ? github.view.repo : undefined, sorted, input.results),
    logs: { run: logRun ? toRunRef(logRun) : null, followingLatest: chosenLogRun === undefined },
    selection: { ...selection },
    artifacts: artifactSections(input.artifacts ?? [], sorted),
  };
}

/**
 * What buildDashboardModel will read for this selection, so the host loads only that: whole results of
 * the charted runs and of each compared repository's latest run; snapshots (counts) of the charted
 * repository's other runs.
 */
export function readsWanted(runs: readonly DashboardRun[], selection: DashboardSelection = {}): { results: string[]; snapshots: string[] } {
  const sorted = newestFirst(runs);
  const results = new Set<string>();
  const youtube = resolveTarget(sorted, 'youtube-channel-analytics', selection.youtubeRunId).run;
  if (youtube) results.add(youtube.id);
  const github = resolveTarget(sorted, 'github-repo-stats', selection.githubRunId).run;
  if (github) results.add(github.id);
  for (const run of latestRunsOf(selection.compareRepos ?? [], sorted).values()) results.add(run.id);
  return { results: [...results], snapshots: historyRunIds(github, sorted) };
}

/**
 * Results a model needs read too: a section following the latest run whose result can't be charted falls
 * back to the runs before it, so theirs are read then (and only then), and the model built again.
 */
export function fallbackReads(runs: readonly DashboardRun[], model: DashboardModel): string[] {
  const sorted = newestFirst(runs);
  const ids: string[] = [];
  for (const [flowId, section] of [['youtube-channel-analytics', model.youtube], ['github-repo-stats', model.github]] as const) {
    if (section.status !== 'unchartable' || !section.followingLatest) continue;
    const completed = completedOf(sorted, flowId);
    const target = completed.find((r) => r.id === section.run.id);
    if (target) ids.push(...fallbacksOf(completed, target).map((r) => r.id));
  }
  return ids;
}

/** The charted github run (chosen or latest completed), so the host can keep it charted while runs for other repositories start. */
export function chartedGithubRun(runs: readonly DashboardRun[], selection: DashboardSelection): DashboardRun | undefined {
  return resolveTarget(newestFirst(runs), 'github-repo-stats', selection.githubRunId).run;
}

/**
 * Log records as the webview takes them: the run id travels once per `logs` message, and the task run
 * id is not shown, so both are left out of each line.
 */
export function toLogLines(records: readonly LogRecord[]): LogLine[] {
  return records.map(({ ts, level, source, message }) => ({ ts, level, source, message }));
}

/** The log run the model will stream, so the host knows which run's lines to send. */
export function logRunIdOf(model: DashboardModel): string | null {
  return model.logs.run?.id ?? null;
}
