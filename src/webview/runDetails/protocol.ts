/**
 * The messages between a run's details panel and the extension host, typed once and imported by both sides
 * (no DOM, no `vscode`). The webview says `ready`; the host answers with the whole picture (`header`,
 * `timeline` and `logs` with `reset`) and then sends what changes. Requests from the webview carry `req`,
 * a number it chose, and each gets exactly one `reply` with that number saying how it went.
 */
import { isLogLevel, LOG_LEVELS } from '../../engine/logLevels';
import type { LogLevel } from '../../engine/records';
import type { StateName, StateType } from '../../engine/states';
import { isArtifactMessageType, parseArtifactMessage, type ArtifactToHost, type ArtifactToWebview, type ArtifactView, type ExportToHost } from '../artifactMessages';
import { onlyKeys, ProtocolError, record, requestId, RUN_ID_PATTERN, runId, truncate } from '../protocolFields';
import type { RefusedToWebview } from '../refused';

export { ProtocolError, RUN_ID_PATTERN };
export type { ArtifactView };

export const RUN_DETAILS_VIEW_TYPE = 'flowdeck.runDetails';

export interface StateView {
  type: StateType;
  name: StateName;
  message?: string;
  /** Epoch ms. */
  timestamp: number;
}

/** What the failure card shows. */
export interface FailureView {
  name: string;
  message: string;
  /** The `cause` chain, outermost first. */
  causes: string[];
  stack?: string;
  /** The first frame in the user's code: `flows/hello.flow.ts:12:7` as shown; the host knows the path. */
  where?: string;
  /** Set when the failure is a task run's. */
  taskRunId?: string;
  taskRunName?: string;
  /** The run crashed: its worker was ended from this line (an uncaught exception, `process.exit()`). */
  crashed?: true;
  /** Set when the failure is a subflow run's, which the run awaited: the card links to its details. */
  subflowRunId?: string;
  subflowRunName?: string;
}

/** A value of the result, as the viewer shows it before it is expanded. */
export interface ResultNode {
  kind: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';
  /** The value for a scalar (strings cut at a length), `{…}` / `[…]` for containers. */
  preview: string;
  /** Keys or items of a container. */
  size?: number;
}

export interface ResultEntry {
  key: string;
  node: ResultNode;
}

/** A page of a container's entries. */
export interface ResultPage {
  path: (string | number)[];
  offset: number;
  total: number;
  entries: ResultEntry[];
}

export type ResultView =
  | { kind: 'none'; note?: string }
  | { kind: 'value'; root: ResultNode }
  /** Kept in a file too large to show here. */
  | { kind: 'tooLarge'; bytes: number };

export interface RunHeader {
  id: string;
  name: string;
  flowName: string;
  /** Where the flow comes from, as shown: a workspace-relative path or `built-in`. */
  source: string;
  state: StateView;
  attempt: number;
  /** `manual`, `schedule nightly`, `resume`; `, refreshing the cache` after it for a run that did (RunRequest.refreshCache). */
  trigger: string;
  created: number;
  startTime?: number;
  endTime?: number;
  /** JSON text, cut at a length. */
  parameters: string;
  parent?: { id: string; name: string };
  /** Paused (pauseFlowRun): until when it waits (epoch ms), and its inputs as `approve (boolean, required)`. */
  pause?: { until: number; inputs: string[] };
  /** Its tags, `nightly, etl` (FlowRunSummary.tags). */
  tags?: string;
  /** What its pauses were resumed with (or that one timed out), by key, as one line (givenInputsText). */
  inputs?: string;
  /** `resume`: the run is Paused (pauseFlowRun), waiting to be resumed. */
  actions: { cancel: boolean; resume: boolean; retryFromFailure: boolean; rerun: boolean; openSource: boolean };
  failure?: FailureView;
  result: ResultView;
  /** Lines of the journal that could not be read. */
  skippedRecords: number;
  /** The run was deleted from the run history while it was shown: no action is left to take on it. */
  deleted?: true;
  /** The window now uses another store, which does not hold the run (a changed setting): no action is left to take on it here. */
  otherStore?: true;
}

export interface TimelineState {
  name: StateName;
  /** Epoch ms. */
  ts: number;
  attempt?: number;
}

/** A bar of the timeline: a task run or a subflow run, with every state it went through. */
export interface TimelineItem {
  id: string;
  name: string;
  kind: 'task' | 'subflow';
  /** The task's name (`fetch` for `fetch-3`); the flow's name for a subflow. */
  group: string;
  states: TimelineState[];
}

export interface RunLogLine {
  ts: number;
  level: LogLevel;
  source: string;
  message: string;
  taskRunId?: string;
}

/** Which log lines an export takes: as the panel shows them. */
export interface LogFilter {
  minLevel: LogLevel;
  /** One task run, or every run of one task (by the task's name); neither: all lines. */
  taskRunId?: string;
  taskName?: string;
  search?: string;
}

// ---------------------------------------------------------------------------------------------------
// Host → webview.

export type HostToRunDetails =
  | { type: 'header'; header: RunHeader }
  /**
   * `reset` replaces every item; otherwise items replace those with the same id or are added. `now` is the
   * host's clock, for bars still going. `omitted`: task runs of the run not drawn (a huge run's timeline
   * holds a bounded number of them). `ended`: while a finished run is read for the first time, when it
   * ended — bars still going (task runs read part-way) end there, not at `now`.
   */
  | { type: 'timeline'; reset: boolean; items: TimelineItem[]; now: number; omitted?: number; ended?: number }
  | { type: 'logs'; reset: boolean; lines: RunLogLine[] }
  /** Every artifact the run and its task runs created (the latest of each key), in the order the keys first appeared. */
  | { type: 'artifacts'; artifacts: ArtifactView[] }
  | { type: 'reply'; req: number; ok: boolean; message?: string; page?: ResultPage }
  /** A message of the webview's refused as invalid, in place of its reply (../refused). */
  | RefusedToWebview
  /** Table pages and notices (../artifactMessages). */
  | ArtifactToWebview;

// ---------------------------------------------------------------------------------------------------
// Webview → host. Untrusted: the host calls parseRunDetailsMessage first.

export const RUN_ACTIONS = ['resume', 'cancel', 'retryFromFailure', 'rerun', 'openSource', 'showLogs'] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

export type RunDetailsToHost =
  | { type: 'ready' }
  | { type: 'action'; req: number; action: RunAction }
  /** Opens the file at the failure's line: the run's, or a task run's. */
  | { type: 'goToFailure'; req: number; taskRunId?: string }
  /** A subflow's bar: its own details. */
  | { type: 'openRun'; req: number; runId: string }
  | { type: 'exportLogs'; req: number; to: 'clipboard' | 'file'; filter: LogFilter }
  | { type: 'expandResult'; req: number; path: (string | number)[]; offset: number }
  /** Table pages, links and exports of the artifacts, as the dashboard asks for them (../artifactMessages). */
  | ArtifactToHost
  | ExportToHost;

/** What the webview saves with setState and the serializer gets back: which run. */
export interface RunDetailsState {
  version: 1;
  runId: string;
}

/** Task run ids are short; a name is a few words. Anything longer is not ours. */
const MAX_ID = 200;
const MAX_SEARCH = 500;
const MAX_PATH = 64;
const MAX_KEY = 10_000;

function text(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string') throw new ProtocolError(`${what} must be a string`);
  if (value.length > max) throw new ProtocolError(`${what} is longer than ${max} characters`);
  return value;
}

function optionalText(value: unknown, what: string, max: number): string | undefined {
  return value === undefined ? undefined : text(value, what, max);
}

function parseFilter(value: unknown): LogFilter {
  const f = record(value, 'exportLogs.filter');
  onlyKeys(f, ['minLevel', 'taskRunId', 'taskName', 'search'], 'exportLogs.filter');
  if (!isLogLevel(f.minLevel)) throw new ProtocolError(`exportLogs.filter.minLevel must be one of ${LOG_LEVELS.join(', ')}`);
  const filter: LogFilter = { minLevel: f.minLevel };
  const taskRunId = optionalText(f.taskRunId, 'exportLogs.filter.taskRunId', MAX_ID);
  const taskName = optionalText(f.taskName, 'exportLogs.filter.taskName', MAX_ID);
  const search = optionalText(f.search, 'exportLogs.filter.search', MAX_SEARCH);
  if (taskRunId !== undefined) filter.taskRunId = taskRunId;
  if (taskName !== undefined) filter.taskName = taskName;
  if (search) filter.search = search;
  return filter;
}

function parsePath(value: unknown): (string | number)[] {
  if (!Array.isArray(value) || value.length > MAX_PATH) throw new ProtocolError(`expandResult.path must be a list of at most ${MAX_PATH} keys`);
  return value.map((k, i) => {
    if (typeof k === 'number' && Number.isSafeInteger(k) && k >= 0) return k;
    return text(k, `expandResult.path[${i}]`, MAX_KEY);
  });
}

/** Checks a message from the webview; throws ProtocolError saying what is wrong. */
export function parseRunDetailsMessage(value: unknown): RunDetailsToHost {
  const m = record(value, 'message');
  if (typeof m.type === 'string' && isArtifactMessageType(m.type)) return parseArtifactMessage(m, m.type);
  switch (m.type) {
    case 'ready':
      onlyKeys(m, ['type'], 'ready');
      return { type: 'ready' };
    case 'action': {
      onlyKeys(m, ['type', 'req', 'action'], 'action');
      if (!RUN_ACTIONS.includes(m.action as RunAction)) throw new ProtocolError(`action.action must be one of ${RUN_ACTIONS.join(', ')}`);
      return { type: 'action', req: requestId(m.req, 'action.req'), action: m.action as RunAction };
    }
    case 'goToFailure': {
      onlyKeys(m, ['type', 'req', 'taskRunId'], 'goToFailure');
      const taskRunId = optionalText(m.taskRunId, 'goToFailure.taskRunId', MAX_ID);
      return { type: 'goToFailure', req: requestId(m.req, 'goToFailure.req'), ...(taskRunId !== undefined ? { taskRunId } : {}) };
    }
    case 'openRun':
      onlyKeys(m, ['type', 'req', 'runId'], 'openRun');
      return { type: 'openRun', req: requestId(m.req, 'openRun.req'), runId: runId(m.runId, 'openRun.runId') };
    case 'exportLogs': {
      onlyKeys(m, ['type', 'req', 'to', 'filter'], 'exportLogs');
      if (m.to !== 'clipboard' && m.to !== 'file') throw new ProtocolError("exportLogs.to must be 'clipboard' or 'file'");
      return { type: 'exportLogs', req: requestId(m.req, 'exportLogs.req'), to: m.to, filter: parseFilter(m.filter) };
    }
    case 'expandResult': {
      onlyKeys(m, ['type', 'req', 'path', 'offset'], 'expandResult');
      const offset = m.offset;
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new ProtocolError('expandResult.offset must be a whole number');
      return { type: 'expandResult', req: requestId(m.req, 'expandResult.req'), path: parsePath(m.path), offset };
    }
    default:
      throw new ProtocolError(`unknown message type ${typeof m.type === 'string' ? `'${truncate(m.type)}'` : typeof m.type}`);
  }
}

/** Reads a saved state (the serializer's argument). Throws ProtocolError when it is not one of ours. */
export function parseRunDetailsState(value: unknown): RunDetailsState {
  const s = record(value, 'state');
  if (s.version !== 1) throw new ProtocolError('state.version must be 1');
  return { version: 1, runId: runId(s.runId, 'state.runId') };
}

/** Whether a log line is one the filter keeps (the panel's view and an export agree on this). */
export function logLineMatches(filter: LogFilter, line: RunLogLine, taskNameOf: (taskRunId: string) => string | undefined): boolean {
  if (LOG_LEVELS.indexOf(line.level) < LOG_LEVELS.indexOf(filter.minLevel)) return false;
  if (filter.taskRunId !== undefined && line.taskRunId !== filter.taskRunId) return false;
  if (filter.taskName !== undefined && (line.taskRunId === undefined || taskNameOf(line.taskRunId) !== filter.taskName)) return false;
  if (filter.search) return `${line.source} - ${line.message}`.toLowerCase().includes(filter.search.toLowerCase());
  return true;
}
