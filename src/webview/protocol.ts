/**
 * The messages between the dashboard webview and the extension host, typed once and imported by both
 * sides. Type-only imports and plain functions: no DOM, no `vscode`, so it compiles in either bundle.
 *
 * Flow: the webview loads, restores its `WebviewState` and posts `ready`; the host holds every message
 * until then, answers with a `model` and the selected run's `logs`, and afterwards sends a new `model`
 * whenever runs change and `logs` as lines are written.
 */
import type { ArtifactData, ChartData, TableCell } from '../engine/artifacts';
import type { LogLevel } from '../engine/records';
import type { StateName, StateType } from '../engine/states';
import { REPO_PATTERN } from '../flows/github/parameters';
import type { Release } from '../flows/github/releases';
import type { TopVideo } from '../flows/youtube/topVideos';
import { isArtifactMessageType, parseArtifactMessage, type ArtifactToHost, type ArtifactToWebview, type ArtifactView, type ExportToHost } from './artifactMessages';
import { describe, onlyKeys, ProtocolError, record, requestId, RUN_ID_PATTERN, runId, truncate } from './protocolFields';
import type { RefusedToWebview } from './refused';

/** The built-in flows' own shapes, as the dashboard reads them from their results. */
export type { Release, TopVideo };
/** Artifacts as flows create them (src/engine/artifacts.ts). */
export type { ArtifactData, ArtifactView, ChartData, TableCell };
export { MAX_EXPORT_CHARS, PNG_DATA_URL_PREFIX, TABLE_PAGE_ROWS } from './artifactMessages';
export { ProtocolError, RUN_ID_PATTERN };

export const BUILTIN_FLOW_IDS = ['github-repo-stats', 'youtube-channel-analytics'] as const;
export type BuiltinFlowId = (typeof BUILTIN_FLOW_IDS)[number];

/** How many repositories the star-history chart compares with the charted one. */
export const MAX_COMPARED_REPOSITORIES = 6;
/** The only external links the dashboard opens: a YouTube video's watch page. */
export const YOUTUBE_WATCH_URL = /^https:\/\/www\.youtube\.com\/watch\?v=[A-Za-z0-9_-]{11}$/;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

// ---------------------------------------------------------------------------------------------------
// The model the host builds (see src/extension/dashboard/model.ts) and the webview draws.

export interface RunRef {
  id: string;
  name: string;
  flowName: string;
  /** Set when the run is one of the built-in flows the dashboard charts. */
  flowId?: BuiltinFlowId;
  state: { type: StateType; name: StateName; message?: string };
  /** Epoch ms. */
  created: number;
  startTime?: number;
  endTime?: number;
}

export interface YoutubeChannel {
  id: string;
  title: string;
  /** Null when the channel hides its subscriber count. */
  subscribers: number | null;
  views: number;
  videos: number;
}

export interface YoutubeView {
  channel: YoutubeChannel;
  startDate: string;
  endDate: string;
  /** One label per day, `YYYY-MM-DD`, in the order the result gave them. */
  dates: string[];
  /** One series per metric, aligned with `dates`; null marks a day without data (drawn as a gap). */
  series: { metric: string; values: (number | null)[] }[];
  /** Totals as the flow reported them; a metric without a total is absent. */
  totals: Record<string, number>;
  /**
   * The equally long period before, its series aligned by day with `dates` (day 1 with day 1); absent
   * for results of flows that did not fetch it.
   */
  previous?: {
    startDate: string;
    endDate: string;
    series: { metric: string; values: (number | null)[] }[];
    /**
     * What each metric's card compares (periodComparison.ts): the range's days with data against the same
     * days of this period, not the whole of both, since YouTube's last days come two to three days late.
     */
    compared: Record<string, { current: number; previous: number; days: number; of: number; lastWithout: number }>;
  };
  /** The range's most viewed videos, the most viewed first. */
  topVideos: TopVideo[];
}

/** A date range the YouTube section offers, resolved to days by the host (YouTube's days are Pacific). */
export interface RangeChoice {
  id: 'last7' | 'last28' | 'last90' | 'last365' | 'thisMonth' | 'lastMonth';
  label: string;
  startDate: string;
  endDate: string;
}

export interface GithubCounts {
  stars: number;
  forks: number;
  watchers: number;
  openIssues: number;
  openPullRequests: number;
}

export interface GithubView {
  repo: string;
  fetchedAt: string;
  counts: GithubCounts;
  /** The previous completed run of the same repository, when there is one with a readable result. */
  previous?: { run: RunRef; fetchedAt: string; counts: GithubCounts };
  /** `counts - previous.counts`, present exactly when `previous` is. */
  deltas?: GithubCounts;
  starHistory: StarPoint[];
  /** True when the flow read only some stargazer pages: the curve is straight between them. */
  starHistorySampled: boolean;
  releases: Release[];
  /** The counts of every stored completed run of this repository, oldest first (this one included). */
  history: GithubSnapshot[];
}

export interface StarPoint {
  /** YYYY-MM-DD. */
  date: string;
  stars: number;
}

export interface GithubSnapshot {
  runId: string;
  fetchedAt: string;
  counts: GithubCounts;
}

/** A repository compared with the charted one on the star-history chart, from its latest completed run. */
export type ComparedRepository =
  | { repo: string; status: 'ok'; run: RunRef; starHistory: StarPoint[]; starHistorySampled: boolean; releases: Release[] }
  /** No completed run yet; `active` when one is going, else `lastAttempt` says how the last one ended. */
  | { repo: string; status: 'waiting'; active: boolean; lastAttempt?: RunRef }
  | { repo: string; status: 'unchartable'; run: RunRef; reason: string };

/**
 * What one chart section shows: nothing yet, a chart, or the reason a run's result can't be charted.
 * `note` explains a fallback (e.g. the chosen run no longer exists, so the latest is shown).
 */
export type Section<T> =
  | { status: 'none'; lastAttempt?: RunRef; note?: string }
  | { status: 'ok'; run: RunRef; view: T; note?: string }
  | { status: 'unchartable'; run: RunRef; reason: string; note?: string };

export type SectionWithChoices<T> = Section<T> & {
  /** Completed runs of this flow, newest first, for the run picker. */
  choices: RunRef[];
  /** True when the host follows the latest completed run rather than a chosen one. */
  followingLatest: boolean;
  /** The flow's newest run, when it failed after the run shown: the section says so at its top. */
  latestFailed?: RunRef;
};

/** What the user chose. Absent fields mean "follow the latest". */
export interface DashboardSelection {
  youtubeRunId?: string;
  githubRunId?: string;
  logRunId?: string;
  /** Repositories drawn beside the charted one, as the user typed them (owner/name). */
  compareRepos?: string[];
}

/** The latest artifact of each key of one flow's runs, newest first. */
export interface FlowArtifactsView {
  flowName: string;
  artifacts: ArtifactView[];
}

export interface DashboardModel {
  /** Epoch ms when the host built the model. */
  generatedAt: number;
  totalRuns: number;
  /** Newest first, capped (see RECENT_RUNS_LIMIT in the model builder). */
  recentRuns: RunRef[];
  /** Runs of each built-in flow that are not finished, so the run buttons can say so. */
  activeByFlow: Record<BuiltinFlowId, number>;
  youtube: SectionWithChoices<YoutubeView>;
  /** The date ranges offered above the YouTube charts, as of `generatedAt`. */
  youtubeRanges: RangeChoice[];
  github: SectionWithChoices<GithubView>;
  /** `selection.compareRepos` with what each has to show, in the order they were added. */
  compared: ComparedRepository[];
  /** Whose logs the panel streams: the chosen run, or the latest run when following. */
  logs: { run: RunRef | null; followingLatest: boolean };
  selection: DashboardSelection;
  /** One section per flow whose runs created artifacts, the flow with the newest first. */
  artifacts: FlowArtifactsView[];
}

/** One log line as shown; the run id travels once per `logs` message instead of once per line. */
export interface LogLine {
  /** Epoch ms. */
  ts: number;
  level: LogLevel;
  source: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------------
// Host → webview.

export type HostToWebview =
  | { type: 'model'; model: DashboardModel }
  /** `reset` replaces what the webview holds for that run (first batch, or a switch of run). */
  | { type: 'logs'; runId: string; lines: LogLine[]; reset?: boolean }
  /** The answer to a request that carried `req`: what happened, to show the user. */
  | { type: 'reply'; req: number; ok: boolean; message: string }
  /** A message of the webview's refused as invalid, in place of its reply (./refused). */
  | RefusedToWebview
  /** Table pages and notices (./artifactMessages). */
  | ArtifactToWebview;

// ---------------------------------------------------------------------------------------------------
// Webview → host. Everything here is untrusted input: the host calls parseWebviewMessage first.

export type WebviewToHost =
  /** Sent once the script has loaded; carries the restored selection after a reload. */
  | { type: 'ready'; selection?: DashboardSelection }
  /** Answered with a reply: started (the model then shows the run), or why not. */
  | { type: 'runFlow'; req: number; flowId: BuiltinFlowId }
  /** A run's details panel, or Retry from Failure on it (a section's failed latest run). */
  | { type: 'openRun'; runId: string }
  | { type: 'retryFromFailure'; runId: string }
  /** The Runs view, filtered to the flows of the runs listed here ("N older runs"). */
  | { type: 'showOlderRuns' }
  /** A click on a run: show its logs and, for a completed built-in run, chart it. */
  | { type: 'selectRun'; runId: string }
  /** null goes back to following the latest completed run. */
  | { type: 'selectYoutubeRun'; runId: string | null }
  | { type: 'selectGithubRun'; runId: string | null }
  /** null goes back to following the latest run. */
  | { type: 'showLogs'; runId: string | null }
  /** Compare another repository; the host runs github-repo-stats for it when no run of it is stored. */
  | { type: 'addRepository'; req: number; repo: string }
  | { type: 'removeRepository'; repo: string }
  /** Chart this range: a stored run of it, or a new run for it. */
  | { type: 'chooseYoutubeRange'; req: number; startDate: string; endDate: string }
  /** Save a run's whole log, as the output channel prints it. */
  | { type: 'saveLog'; req: number; runId: string }
  | { type: 'openVideo'; url: string }
  /** Table pages, links and exports of artifacts and charts (./artifactMessages). */
  | ArtifactToHost
  | ExportToHost;

/** What the webview saves with setState and the host's WebviewPanelSerializer gets back: an identity. */
export interface WebviewState {
  version: 1;
  selection: DashboardSelection;
  /** YouTube metrics the user switched off. */
  hiddenMetrics: string[];
  /** How the star charts are drawn. */
  charts: ChartPreferences;
}

export interface ChartPreferences {
  logScale: boolean;
  /** x = days since each repository's first star, instead of dates. */
  alignTimeline: boolean;
  velocity: 'day' | 'week';
}

export const DEFAULT_CHART_PREFERENCES: ChartPreferences = { logScale: false, alignTimeline: false, velocity: 'week' };

export const EMPTY_WEBVIEW_STATE: WebviewState = { version: 1, selection: {}, hiddenMetrics: [], charts: DEFAULT_CHART_PREFERENCES };

function optionalRunId(value: unknown, what: string): string | null {
  return value === null ? null : runId(value, what);
}

function parseSelection(value: unknown, what: string): DashboardSelection {
  const fields = record(value, what);
  onlyKeys(fields, ['youtubeRunId', 'githubRunId', 'logRunId', 'compareRepos'], what);
  const selection: DashboardSelection = {};
  for (const key of ['youtubeRunId', 'githubRunId', 'logRunId'] as const) {
    if (fields[key] !== undefined) selection[key] = runId(fields[key], `${what}.${key}`);
  }
  if (fields.compareRepos !== undefined) {
    const repos = fields.compareRepos;
    if (!Array.isArray(repos) || repos.length > MAX_COMPARED_REPOSITORIES) {
      throw new ProtocolError(`${what}.compareRepos must be a list of at most ${MAX_COMPARED_REPOSITORIES} repositories`);
    }
    selection.compareRepos = repos.map((r, i) => repository(r, `${what}.compareRepos[${i}]`));
  }
  return selection;
}

export function isRepository(value: string): boolean {
  return new RegExp(REPO_PATTERN).test(value) && value.length <= 140;
}

function repository(value: unknown, what: string): string {
  if (typeof value !== 'string' || !isRepository(value)) {
    throw new ProtocolError(`${what} must be a repository as owner/name, got ${describe(value)}`);
  }
  return value;
}

function day(value: unknown, what: string): string {
  if (typeof value !== 'string' || !DAY_PATTERN.test(value)) throw new ProtocolError(`${what} must be a day written YYYY-MM-DD, got ${describe(value)}`);
  return value;
}

/** Checks a message from the webview; throws ProtocolError saying what is wrong. */
export function parseWebviewMessage(value: unknown): WebviewToHost {
  const fields = record(value, 'message');
  const type = fields.type;
  if (typeof type !== 'string') throw new ProtocolError(`message.type must be a string, got ${describe(type)}`);
  if (isArtifactMessageType(type)) return parseArtifactMessage(fields, type);
  switch (type) {
    case 'ready': {
      onlyKeys(fields, ['type', 'selection'], 'ready');
      return fields.selection === undefined
        ? { type }
        : { type, selection: parseSelection(fields.selection, 'ready.selection') };
    }
    case 'runFlow': {
      onlyKeys(fields, ['type', 'req', 'flowId'], 'runFlow');
      const flowId = fields.flowId;
      if (!BUILTIN_FLOW_IDS.some((id) => id === flowId)) {
        throw new ProtocolError(
          `runFlow.flowId must be one of ${BUILTIN_FLOW_IDS.join(', ')}, got ${describe(flowId)}`,
        );
      }
      return { type, req: requestId(fields.req, 'runFlow.req'), flowId: flowId as BuiltinFlowId };
    }
    case 'showOlderRuns':
      onlyKeys(fields, ['type'], type);
      return { type };
    case 'openRun':
    case 'retryFromFailure':
    case 'selectRun': {
      onlyKeys(fields, ['type', 'runId'], type);
      return { type, runId: runId(fields.runId, `${type}.runId`) };
    }
    case 'selectYoutubeRun':
    case 'selectGithubRun':
    case 'showLogs': {
      onlyKeys(fields, ['type', 'runId'], type);
      if (!('runId' in fields)) throw new ProtocolError(`${type}.runId is missing (use null to follow the latest)`);
      return { type, runId: optionalRunId(fields.runId, `${type}.runId`) };
    }
    case 'addRepository': {
      onlyKeys(fields, ['type', 'req', 'repo'], type);
      return { type, req: requestId(fields.req, `${type}.req`), repo: repository(fields.repo, `${type}.repo`) };
    }
    case 'removeRepository': {
      onlyKeys(fields, ['type', 'repo'], type);
      return { type, repo: repository(fields.repo, `${type}.repo`) };
    }
    case 'chooseYoutubeRange': {
      onlyKeys(fields, ['type', 'req', 'startDate', 'endDate'], type);
      return { type, req: requestId(fields.req, `${type}.req`), startDate: day(fields.startDate, `${type}.startDate`), endDate: day(fields.endDate, `${type}.endDate`) };
    }
    case 'saveLog': {
      onlyKeys(fields, ['type', 'req', 'runId'], type);
      return { type, req: requestId(fields.req, `${type}.req`), runId: runId(fields.runId, `${type}.runId`) };
    }
    case 'openVideo': {
      onlyKeys(fields, ['type', 'url'], type);
      const url = fields.url;
      if (typeof url !== 'string' || !YOUTUBE_WATCH_URL.test(url)) {
        throw new ProtocolError(`openVideo.url must be https://www.youtube.com/watch?v=<video id>, got ${describe(url)}`);
      }
      return { type, url };
    }
    default:
      throw new ProtocolError(`unknown message type '${truncate(type)}'`);
  }
}

/**
 * Reads a saved state (webview getState, or the serializer's argument on the host). Absent → the empty
 * state; anything else malformed → ProtocolError, so the caller can log it before starting fresh.
 */
export function parseWebviewState(value: unknown): WebviewState {
  if (value === undefined || value === null) return EMPTY_WEBVIEW_STATE;
  const fields = record(value, 'state');
  if (fields.version !== 1) throw new ProtocolError(`state.version must be 1, got ${describe(fields.version)}`);
  onlyKeys(fields, ['version', 'selection', 'hiddenMetrics', 'charts'], 'state');
  const hidden = fields.hiddenMetrics ?? [];
  if (!Array.isArray(hidden) || !hidden.every((m) => typeof m === 'string' && m.length <= 64)) {
    throw new ProtocolError('state.hiddenMetrics must be a list of metric names');
  }
  return {
    version: 1,
    selection: fields.selection === undefined ? {} : parseSelection(fields.selection, 'state.selection'),
    hiddenMetrics: [...(hidden as string[])],
    charts: fields.charts === undefined ? DEFAULT_CHART_PREFERENCES : parseChartPreferences(fields.charts),
  };
}

function parseChartPreferences(value: unknown): ChartPreferences {
  const fields = record(value, 'state.charts');
  onlyKeys(fields, ['logScale', 'alignTimeline', 'velocity'], 'state.charts');
  const { logScale = false, alignTimeline = false, velocity = 'week' } = fields;
  if (typeof logScale !== 'boolean' || typeof alignTimeline !== 'boolean' || (velocity !== 'day' && velocity !== 'week')) {
    throw new ProtocolError('state.charts must hold logScale and alignTimeline (true or false) and velocity (day or week)');
  }
  return { logScale, alignTimeline, velocity };
}
