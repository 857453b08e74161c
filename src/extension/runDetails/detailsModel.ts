/**
 * What a run's details panel shows, from what the store and the journal say: the header, the failure card,
 * the timeline's items and the artifacts. Pure (no `vscode`): the panel sends these, tests check them.
 */
import { givenInputsText } from '../../engine/givenInputsText';
import { runTriggerText } from '../../engine/runTrigger';
import { withoutTerminalEscapes } from '../../engine/terminalText';
import type { FlowRunDetail, FlowRunSummary, TaskRunRecord } from '../../engine/records';
import { isTerminal, type Failure } from '../../engine/states';
import type { ArtifactView, FailureView, ResultView, RunHeader, TimelineItem, TimelineState } from '../../webview/runDetails/protocol';
import { artifactView, tableOf, type TableData } from '../dashboard/artifactSections';
import { failedTaskOf } from '../failures/failureSite';
import type { SubflowFailure } from '../failures/subflowFailure';
import type { TaskStateChange } from '../runs/journalFollower';

const PARAMETERS_LIMIT = 4000;

export { triggerLabel } from '../../engine/runTrigger';

export function parametersText(parameters: Record<string, unknown>): string {
  let text: string;
  try {
    text = Object.keys(parameters).length === 0 ? 'none' : JSON.stringify(parameters, null, 2);
  } catch {
    text = '(not printable)';
  }
  return text.length > PARAMETERS_LIMIT ? `${text.slice(0, PARAMETERS_LIMIT)}…` : text;
}

export interface HeaderContext {
  /** This window runs it and can cancel it. */
  cancelable: boolean;
  /** The flow's source as people know it: a workspace-relative path, or `built-in`. */
  sourceLabel: string;
  /** A user file path as shown (workspace-relative). */
  pathLabel: (file: string) => string;
  parent?: { id: string; name: string };
  result: ResultView;
  /**
   * The run's line in the index while a run it says has finished is read for the first time: its journal's
   * end (its last state, its result) is read last, so until then the header shows the index's state and
   * times, never a Running the run left long ago, and no failure card yet.
   */
  reading?: FlowRunSummary;
  /** The run was deleted from the run history while it was shown: what is shown was read before. */
  deleted?: boolean;
  /** The window switched to a store that does not hold the run (`flowdeck.home`, `flowdeck.store` changed): what is shown was read before. */
  otherStore?: boolean;
  /** The failure it took from a subflow run it awaited (subflowFailure.ts), when it failed so. */
  subflowFailure?: SubflowFailure;
}

/**
 * The failure card: the flow run's own failure, else the task run's it points to; for a Crashed run, where
 * its worker was ended from (an uncaught exception, `process.exit()` in the flow's code), when known.
 */
export function failureViewOf(detail: FlowRunDetail, pathLabel: (file: string) => string, subflow?: SubflowFailure): FailureView | undefined {
  if (detail.state.type === 'CRASHED' && detail.state.failure?.frame) return { ...failureFields(detail.state.failure, pathLabel), crashed: true };
  if (detail.state.type !== 'FAILED') return undefined;
  const own = detail.state.failure;
  const task: TaskRunRecord | undefined = own?.frame ? undefined : failedTaskOf(detail);
  const failure = own?.frame ? own : (task?.state.failure ?? own);
  if (!failure && subflow) {
    // A subflow run's failure: what it threw and where (its line is opened by Go to Failure on this run),
    // rather than `Subflow run 'x' ended in state Failed('…')` and no line.
    const inner = subflow.failed ? failureViewOf(subflow.failed, pathLabel) : undefined;
    const { taskRunId: _id, taskRunName: _name, crashed: _crashed, ...shown } = inner ?? { name: '', message: withoutTerminalEscapes(detail.state.message ?? 'The run failed.'), causes: [] };
    return { ...shown, subflowRunId: subflow.run.id, subflowRunName: subflow.run.name };
  }
  // Nothing thrown by its code: the state's message is all there is (its name, Failed, is the card's heading).
  if (!failure) return { name: '', message: withoutTerminalEscapes(detail.state.message ?? 'The run failed.'), causes: [] };
  const view = failureFields(failure, pathLabel);
  if (task && failure === task.state.failure) {
    view.taskRunId = task.id;
    view.taskRunName = task.name;
  }
  return view;
}

function failureFields(failure: Failure, pathLabel: (file: string) => string): FailureView {
  const view: FailureView = { name: withoutTerminalEscapes(failure.name), message: withoutTerminalEscapes(failure.message), causes: (failure.causes ?? []).map(withoutTerminalEscapes) };
  if (failure.stack) view.stack = withoutTerminalEscapes(failure.stack);
  if (failure.frame) view.where = `${pathLabel(failure.frame.file)}:${failure.frame.line}:${failure.frame.column}`;
  return view;
}

export function headerOf(folded: FlowRunDetail, ctx: HeaderContext): RunHeader {
  const index = ctx.reading;
  const detail: FlowRunDetail = index ? { ...folded, state: index.state, ...(index.startTime !== undefined ? { startTime: index.startTime } : {}), ...(index.endTime !== undefined ? { endTime: index.endTime } : {}) } : folded;
  const finished = isTerminal(detail.state.type);
  const root = detail.parentRunId === undefined;
  const header: RunHeader = {
    id: detail.id,
    name: detail.name,
    flowName: detail.flowName,
    source: ctx.sourceLabel,
    state: { type: detail.state.type, name: detail.state.name, timestamp: detail.state.timestamp, ...(detail.state.message !== undefined ? { message: withoutTerminalEscapes(detail.state.message) } : {}) },
    attempt: detail.attempt,
    // What it was started with (refreshing the cache, an idempotency key) is said where it says how it started.
    trigger: runTriggerText(detail),
    created: detail.created,
    parameters: parametersText(detail.parameters),
    actions: {
      cancel: ctx.cancelable && !finished,
      resume: detail.state.type === 'PAUSED',
      retryFromFailure: finished && root && detail.state.type !== 'COMPLETED',
      rerun: finished && root,
      openSource: !detail.source.startsWith('builtin:'),
    },
    result: ctx.result,
    skippedRecords: detail.skippedRecords,
  };
  if (detail.startTime !== undefined) header.startTime = detail.startTime;
  if (detail.endTime !== undefined) header.endTime = detail.endTime;
  if (ctx.parent) header.parent = ctx.parent;
  if (ctx.deleted || ctx.otherStore) {
    // Each action needs the run in the store (its logs, its parameters, its source as recorded).
    if (ctx.deleted) header.deleted = true;
    else header.otherStore = true;
    header.actions = { cancel: false, resume: false, retryFromFailure: false, rerun: false, openSource: false };
  }
  const pause = detail.state.type === 'PAUSED' ? detail.state.pause : undefined;
  if (pause) header.pause = { until: pause.until, inputs: Object.entries(pause.input ?? {}).map(([k, d]) => `${k} (${d.type}${d.required ? ', required' : d.default !== undefined ? `, default ${JSON.stringify(d.default)}` : ''})`) };
  if (detail.tags !== undefined) header.tags = detail.tags.join(', ');
  const inputs = givenInputsText(detail.inputs);
  if (inputs !== undefined) header.inputs = inputs;
  const failure = index ? undefined : failureViewOf(detail, ctx.pathLabel, ctx.subflowFailure);
  if (failure) header.failure = failure;
  return header;
}

/**
 * Why a panel's run is not in the store in use when the panel reads it again (shown after being hidden, its
 * webview empty): `otherStore` when it was read from another store — `flowdeck.home` or `flowdeck.store`
 * changed, maybe while it was hidden — else `deleted` (from this store, or the panel never read it, or it saw
 * it deleted before the switch). `readFrom` and `inUse` are stores' `location`s.
 */
export function absentRunOf(seen: { deleted: boolean; readFrom: string | undefined }, inUse: string): { otherStore: boolean; message: string } {
  if (!seen.deleted && seen.readFrom !== undefined && seen.readFrom !== inUse) {
    return { otherStore: true, message: 'This run is not in the run store now in use (the flowdeck.home or flowdeck.store setting changed); it shows again when they point back to the store holding it.' };
  }
  return { otherStore: false, message: 'This run is no longer in the run history (it was deleted).' };
}

/** A task run's bar: every state it went through (from the journal), else what its record says. */
/** How many task runs a timeline draws: a run of a million would be a message of hundreds of megabytes. */
export const MAX_TIMELINE_TASKS = 20_000;

/**
 * The task runs a timeline draws, when the run has more than `max`: every failed one (up to `max`), then the
 * first to start. `tasks` in the order they were created.
 */
export function timelineTaskIds(tasks: ReadonlyMap<string, TaskRunRecord>, max = MAX_TIMELINE_TASKS): string[] {
  if (tasks.size <= max) return [...tasks.keys()];
  const ids: string[] = [];
  for (const [id, t] of tasks) {
    if (ids.length >= max) break;
    if (t.state.type === 'FAILED' || t.state.type === 'CRASHED') ids.push(id);
  }
  const chosen = new Set(ids);
  for (const id of tasks.keys()) {
    if (ids.length >= max) break;
    if (!chosen.has(id)) ids.push(id);
  }
  return ids;
}

export function taskItemOf(task: TaskRunRecord, history: readonly TaskStateChange[] | undefined): TimelineItem {
  let states: TimelineState[];
  if (history && history.length > 0) {
    states = history.map((s) => (s.attempt !== undefined ? { name: s.name, ts: s.ts, attempt: s.attempt } : { name: s.name, ts: s.ts }));
  } else {
    states = [];
    if (task.startTime !== undefined) states.push({ name: 'Running', ts: task.startTime, attempt: Math.max(1, task.attempts) });
    states.push({ name: task.state.name, ts: task.state.timestamp });
  }
  return { id: task.id, name: task.name, kind: 'task', group: task.taskName, states };
}

/** A subflow run's bar, from its line in the index: created, started, ended. */
export function subflowItemOf(run: FlowRunSummary): TimelineItem {
  const states: TimelineState[] = [{ name: 'Pending', ts: run.created }];
  if (run.startTime !== undefined) states.push({ name: 'Running', ts: run.startTime, attempt: run.attempt });
  if (isTerminal(run.state.type) || run.state.timestamp > (run.startTime ?? run.created)) states.push({ name: run.state.name, ts: run.state.timestamp });
  return { id: run.id, name: run.name, kind: 'subflow', group: run.flowName, states };
}

/** The run's artifacts and its task runs', each titled with the run or task run that created it. */
export function artifactViewsOf(detail: FlowRunDetail): ArtifactView[] {
  const taskNames = new Map(detail.taskRuns.map((t) => [t.id, t.name]));
  return (detail.artifacts ?? []).map((a) => artifactView(a, (a.taskRunId !== undefined ? taskNames.get(a.taskRunId) : undefined) ?? detail.name));
}

/** One of the run's table artifacts; undefined when the run holds no such table. */
export function runTable(detail: FlowRunDetail | undefined, runId: string, key: string): TableData | undefined {
  return tableOf(detail?.id === runId ? detail.artifacts?.find((a) => a.key === key) : undefined);
}
