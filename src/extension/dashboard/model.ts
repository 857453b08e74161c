/**
 * Builds what the dashboard shows from stored runs and their results. Pure: no `vscode`, no I/O, so the
 * panel stays a thin adapter and every choice made here (which run, which previous run, what a bad
 * result looks like) is testable on its own.
 */
import type { FlowRunSummary, LogRecord } from '../../engine/records';
import { isTerminal } from '../../engine/states';
import {
  BUILTIN_FLOW_IDS,
  type BuiltinFlowId,
  type DashboardModel,
  type DashboardSelection,
  type GithubCounts,
  type GithubView,
  type LogLine,
  type RunRef,
  type SectionWithChoices,
  type WebviewToHost,
  type YoutubeView,
} from '../../webview/protocol';

export const RECENT_RUNS_LIMIT = 20;
/** Entries in each run picker; the chosen run is always added even when older. */
export const CHOICES_LIMIT = 30;
/** How many older github runs are searched for the same repository before giving up on deltas. */
export const PREVIOUS_SEARCH_LIMIT = 50;
/** How many older completed runs are tried when the latest one's result can't be charted. */
export const FALLBACK_LIMIT = 3;

export interface DashboardInput {
  runs: readonly FlowRunSummary[];
  /** Results of completed runs, by run id; see resultsWanted for which ones the builder reads. */
  results: ReadonlyMap<string, unknown>;
  selection?: DashboardSelection;
  now?: number;
}

/** Raised for a result that doesn't have the shape its flow promises; the message names the field. */
export class ResultShapeError extends Error {
  override name = 'ResultShapeError';
}

export function builtinFlowOf(run: Pick<FlowRunSummary, 'source'>): BuiltinFlowId | undefined {
  return BUILTIN_FLOW_IDS.find((id) => run.source === `builtin:${id}`);
}

export function toRunRef(run: FlowRunSummary): RunRef {
  const ref: RunRef = {
    id: run.id,
    name: run.name,
    flowName: run.flowName,
    state: { type: run.state.type, name: run.state.name },
    created: run.created,
  };
  const flowId = builtinFlowOf(run);
  if (flowId) ref.flowId = flowId;
  // A crash message can carry a whole stack; the list needs the first part only.
  if (run.state.message) ref.state.message = run.state.message.slice(0, 500);
  if (run.startTime !== undefined) ref.startTime = run.startTime;
  if (run.endTime !== undefined) ref.endTime = run.endTime;
  return ref;
}

function newestFirst(runs: readonly FlowRunSummary[]): FlowRunSummary[] {
  return [...runs].sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

function completedOf(sorted: readonly FlowRunSummary[], flowId: BuiltinFlowId): FlowRunSummary[] {
  return sorted.filter((r) => builtinFlowOf(r) === flowId && r.state.type === 'COMPLETED');
}

interface Target {
  run?: FlowRunSummary;
  note?: string;
  followingLatest: boolean;
}

/** The chosen completed run of a flow if it still exists, else the latest, with a note on the fallback. */
function resolveTarget(
  sorted: readonly FlowRunSummary[],
  completed: readonly FlowRunSummary[],
  flowId: BuiltinFlowId,
  chosenId: string | undefined,
): Target {
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

// ---------------------------------------------------------------------------------------------------
// Result readers: unknown → view, or ResultShapeError naming the first thing that is wrong.

type Fields = Record<string, unknown>;

function object(value: unknown, path: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ResultShapeError(`${path} should be an object but is ${kind(value)}`);
  }
  return value as Fields;
}

function list(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ResultShapeError(`${path} should be a list but is ${kind(value)}`);
  return value;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ResultShapeError(`${path} should be text but is ${kind(value)}`);
  return value;
}

function finite(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ResultShapeError(`${path} should be a number but is ${kind(value)}`);
  }
  return value;
}

/** The YouTube Data API reports counts as strings; a flow that passes them through is still readable. */
function count(value: unknown, path: string): number {
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) return Number(value);
  return finite(value, path);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(value: unknown, path: string): string {
  const s = text(value, path);
  if (!DAY.test(s)) throw new ResultShapeError(`${path} should be a YYYY-MM-DD date but is '${s.slice(0, 30)}'`);
  return s;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function readYoutubeResult(value: unknown): YoutubeView {
  const r = object(value, 'result');
  const c = object(r.channel, 'result.channel');
  const metrics = list(r.metrics, 'result.metrics').map((m, i) => text(m, `result.metrics[${i}]`));
  if (metrics.length === 0) throw new ResultShapeError('result.metrics is empty, so there is nothing to chart');
  if (new Set(metrics).size !== metrics.length) throw new ResultShapeError('result.metrics names a metric twice');
  const days = list(r.days, 'result.days').map((d, i) => object(d, `result.days[${i}]`));
  const dates = days.map((d, i) => day(d.date, `result.days[${i}].date`));
  const series = metrics.map((metric) => ({
    metric,
    values: days.map((d, i) => {
      const v = d[metric];
      // A day the API had no row for is a gap in the line, not a zero.
      return v === null || v === undefined ? null : finite(v, `result.days[${i}].${metric}`);
    }),
  }));
  const totalsIn = r.totals === undefined ? {} : object(r.totals, 'result.totals');
  const totals: Record<string, number> = {};
  for (const metric of metrics) {
    const v = totalsIn[metric];
    if (v !== undefined && v !== null) totals[metric] = finite(v, `result.totals.${metric}`);
  }
  return {
    channel: {
      id: text(c.id, 'result.channel.id'),
      title: text(c.title, 'result.channel.title'),
      subscribers: c.subscribers === null ? null : count(c.subscribers, 'result.channel.subscribers'),
      views: count(c.views, 'result.channel.views'),
      videos: count(c.videos, 'result.channel.videos'),
    },
    startDate: day(r.startDate, 'result.startDate'),
    endDate: day(r.endDate, 'result.endDate'),
    dates,
    series,
    totals,
  };
}

function readCounts(r: Fields): GithubCounts {
  return {
    stars: count(r.stars, 'result.stars'),
    forks: count(r.forks, 'result.forks'),
    watchers: count(r.watchers, 'result.watchers'),
    openIssues: count(r.openIssues, 'result.openIssues'),
    openPullRequests: count(r.openPullRequests, 'result.openPullRequests'),
  };
}

/** The github view without `previous`/`deltas`, which need other runs. */
export function readGithubResult(value: unknown): GithubView {
  const r = object(value, 'result');
  const repo = text(r.repo, 'result.repo');
  if (repo.length === 0) throw new ResultShapeError('result.repo is empty');
  const fetchedAt = typeof r.fetchedAt === 'number' ? new Date(finite(r.fetchedAt, 'result.fetchedAt')).toISOString() : text(r.fetchedAt, 'result.fetchedAt');
  const history = r.starHistory === undefined ? [] : list(r.starHistory, 'result.starHistory');
  const starHistory = history
    .map((p, i) => {
      const point = object(p, `result.starHistory[${i}]`);
      // Dates may come as full timestamps (a stargazer's starred_at); the chart needs the day.
      const date = text(point.date, `result.starHistory[${i}].date`).slice(0, 10);
      return { date: day(date, `result.starHistory[${i}].date`), stars: count(point.stars, `result.starHistory[${i}].stars`) };
    })
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.stars - b.stars));
  return { repo, fetchedAt, counts: readCounts(r), starHistory };
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

function unchartable(error: unknown): string {
  if (error instanceof ResultShapeError) return `Can't chart this result: ${error.message}.`;
  throw error;
}

// ---------------------------------------------------------------------------------------------------

/**
 * One dashboard section: the chosen (or latest) completed run of `flowId`, its result read by `read`,
 * or why there is nothing to chart. `read` gets the completed runs after the target, newest first, for
 * comparisons with earlier runs.
 */
function chartSection<V>(
  sorted: readonly FlowRunSummary[],
  results: ReadonlyMap<string, unknown>,
  flowId: BuiltinFlowId,
  chosenId: string | undefined,
  read: (result: unknown, older: readonly FlowRunSummary[]) => V,
): SectionWithChoices<V> {
  const completed = completedOf(sorted, flowId);
  const target = resolveTarget(sorted, completed, flowId, chosenId);
  const choices = choicesFor(completed, target.run);
  const base = { choices, followingLatest: target.followingLatest, ...(target.note ? { note: target.note } : {}), ...latestFailure(sorted, flowId, target.run) };
  if (!target.run) return { status: 'none', ...lastAttempt(sorted, flowId), ...base };
  const chart = (candidate: FlowRunSummary): { view: V } | { reason: string } => {
    if (!results.has(candidate.id)) return { reason: 'The result of this run is not stored.' };
    try {
      return { view: read(results.get(candidate.id), completed.slice(completed.indexOf(candidate) + 1)) };
    } catch (error) {
      return { reason: unchartable(error) };
    }
  };
  const charted = chart(target.run);
  if ('view' in charted) return { status: 'ok', run: toRunRef(target.run), view: charted.view, ...base };
  // Following the latest run, one whose result can't be charted doesn't blank the section: the last one
  // that can be is shown, with a note saying why.
  if (target.followingLatest) {
    const at = completed.indexOf(target.run);
    for (const older of completed.slice(at + 1, at + 1 + FALLBACK_LIMIT)) {
      const fallback = chart(older);
      if ('view' in fallback) {
        return { status: 'ok', run: toRunRef(older), view: fallback.view, ...base, note: `Run ${target.run.name} could not be charted (${charted.reason.replace(/\.$/, '')}); showing run ${older.name}, the latest that could be.` };
      }
    }
  }
  return { status: 'unchartable', run: toRunRef(target.run), reason: charted.reason, ...base };
}

/** The newest run of the flow when it failed after the run a section shows: the section says so at its top. */
export function latestFailure(sorted: readonly FlowRunSummary[], flowId: BuiltinFlowId, shown: FlowRunSummary | undefined): { latestFailed?: RunRef } {
  const latest = sorted.find((r) => builtinFlowOf(r) === flowId);
  if (!shown || !latest || latest === shown || latest.created < shown.created) return {};
  return latest.state.type === 'FAILED' || latest.state.type === 'CRASHED' ? { latestFailed: toRunRef(latest) } : {};
}

function youtubeSection(sorted: readonly FlowRunSummary[], results: ReadonlyMap<string, unknown>, chosenId: string | undefined): SectionWithChoices<YoutubeView> {
  return chartSection(sorted, results, 'youtube-channel-analytics', chosenId, (result) => readYoutubeResult(result));
}

function githubSection(sorted: readonly FlowRunSummary[], results: ReadonlyMap<string, unknown>, chosenId: string | undefined): SectionWithChoices<GithubView> {
  return chartSection(sorted, results, 'github-repo-stats', chosenId, (result, older) => {
    const view = readGithubResult(result);
    for (const candidate of older.slice(0, PREVIOUS_SEARCH_LIMIT)) {
      if (!results.has(candidate.id)) continue;
      let previous: GithubView;
      try {
        previous = readGithubResult(results.get(candidate.id));
      } catch (error) {
        // An unreadable older result only costs the deltas; keep looking further back.
        if (error instanceof ResultShapeError) continue;
        throw error;
      }
      // GitHub treats owner/name case-insensitively, and users type it either way.
      if (previous.repo.toLowerCase() !== view.repo.toLowerCase()) continue;
      view.previous = { run: toRunRef(candidate), fetchedAt: previous.fetchedAt, counts: previous.counts };
      view.deltas = subtract(view.counts, previous.counts);
      break;
    }
    return view;
  });
}

function choicesFor(completed: readonly FlowRunSummary[], target: FlowRunSummary | undefined): RunRef[] {
  const picked = completed.slice(0, CHOICES_LIMIT);
  if (target && !picked.includes(target)) picked.push(target);
  return picked.map(toRunRef);
}

function lastAttempt(sorted: readonly FlowRunSummary[], flowId: BuiltinFlowId): { lastAttempt?: RunRef } {
  const run = sorted.find((r) => builtinFlowOf(r) === flowId);
  return run ? { lastAttempt: toRunRef(run) } : {};
}

export function buildDashboardModel(input: DashboardInput): DashboardModel {
  const sorted = newestFirst(input.runs);
  const selection = input.selection ?? {};
  const activeByFlow = Object.fromEntries(BUILTIN_FLOW_IDS.map((id) => [id, 0])) as Record<BuiltinFlowId, number>;
  for (const run of sorted) {
    const flowId = builtinFlowOf(run);
    if (flowId && !isTerminal(run.state.type)) activeByFlow[flowId] += 1;
  }
  const chosenLogRun = selection.logRunId === undefined ? undefined : sorted.find((r) => r.id === selection.logRunId);
  const logRun = chosenLogRun ?? sorted[0];
  return {
    generatedAt: input.now ?? Date.now(),
    totalRuns: sorted.length,
    recentRuns: sorted.slice(0, RECENT_RUNS_LIMIT).map(toRunRef),
    activeByFlow,
    youtube: youtubeSection(sorted, input.results, selection.youtubeRunId),
    github: githubSection(sorted, input.results, selection.githubRunId),
    logs: { run: logRun ? toRunRef(logRun) : null, followingLatest: chosenLogRun === undefined },
    selection: { ...selection },
  };
}

/**
 * The run ids whose results buildDashboardModel will read for this selection, so the host loads only
 * those (the charted runs, the older ones tried when the latest can't be charted, and the older github
 * runs searched for deltas).
 */
export function resultsWanted(runs: readonly FlowRunSummary[], selection: DashboardSelection = {}): string[] {
  const sorted = newestFirst(runs);
  const youtube = completedOf(sorted, 'youtube-channel-analytics');
  const github = completedOf(sorted, 'github-repo-stats');
  const ids: string[] = [];
  const yt = resolveTarget(sorted, youtube, 'youtube-channel-analytics', selection.youtubeRunId);
  if (yt.run) {
    const at = youtube.indexOf(yt.run);
    ids.push(...youtube.slice(at, at + 1 + (yt.followingLatest ? FALLBACK_LIMIT : 0)).map((r) => r.id));
  }
  const gh = resolveTarget(sorted, github, 'github-repo-stats', selection.githubRunId).run;
  if (gh) {
    const at = github.indexOf(gh);
    ids.push(...github.slice(at, at + 1 + PREVIOUS_SEARCH_LIMIT).map((r) => r.id));
  }
  return ids;
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

/** How a message from the webview changes the selection. Messages that don't select return it unchanged. */
export function nextSelection(
  current: DashboardSelection,
  message: WebviewToHost,
  runs: readonly FlowRunSummary[],
): DashboardSelection {
  const next: DashboardSelection = { ...current };
  const set = (key: keyof DashboardSelection, runId: string | null): void => {
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
    case 'openRun':
    case 'retryFromFailure':
    case 'showOlderRuns':
      return next;
  }
}
