/**
 * What the Runs view shows for a run or a task run: label, description, tooltip text, context value.
 * Pure (no `vscode`): the tree nodes copy these onto TreeItems, and tests check them directly.
 */
import { progressText } from '../../engine/artifacts';
import { formatDuration } from '../../engine/durationText';
import { formatTime } from '../../engine/logFormat';
import type { FlowRunSummary, TaskRunRecord } from '../../engine/records';
import { isTerminal, type StateName, type StateType } from '../../engine/states';
import { withoutTerminalEscapes } from '../../engine/terminalText';
import { parametersText } from '../runDetails/detailsModel';

export { formatDuration };

/** `just now`, `40 s ago`, `2 min ago`, `3 h ago`, `1 day ago`, `5 days ago`. */
export function formatAge(ms: number): string {
  const seconds = Math.floor(Math.max(0, ms) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}

type Timed = { state: { type: StateType; timestamp: number }; startTime?: number; endTime?: number };

/** How long a run or task run has taken: from its start (or creation) to its end, or to `now` while it is going. */
export function elapsed(run: Timed & { created?: number }, now: number): number | undefined {
  const start = run.startTime ?? run.created;
  if (start === undefined) return undefined;
  const end = run.endTime ?? (isTerminal(run.state.type) ? run.state.timestamp : now);
  return end - start;
}

/**
 * `Completed · 1.2 s · 2 min ago`: the state name first, then how long it took, then how long ago it
 * ended. A run still going shows `Running · 12 s`, its time so far.
 */
export function runDescription(run: Pick<FlowRunSummary, 'state' | 'created' | 'startTime' | 'endTime' | 'trigger'>, now: number, progress?: number): string {
  // A schedule's run, created ahead of its slot: `Scheduled · in 4 min`.
  if (run.state.name === 'Scheduled' && run.startTime === undefined && run.trigger?.kind === 'schedule') {
    const wait = run.trigger.slot - now;
    return `Scheduled · ${wait > 0 ? `in ${formatDuration(Math.ceil(wait / 1000) * 1000)}` : 'due'}`;
  }
  const parts: string[] = [run.state.name];
  const took = elapsed(run, now);
  if (took !== undefined) parts.push(formatDuration(took));
  if (isTerminal(run.state.type)) parts.push(formatAge(now - (run.endTime ?? run.state.timestamp)));
  // Paused for input: how long it still waits (`Paused · 3 min · 57 min left`).
  else if (run.state.pause !== undefined) parts.push(pauseLeft(run.state.pause.until - now));
  // A run of this window that reports progress (its progress artifact): `Running · 12 s · 45%`.
  else if (progress !== undefined) parts.push(progressText(progress));
  return parts.join(' · ');
}

/** How long a paused run still waits for a resume, as its row says it: `57 min left`, `40 s left`, `time up`. */
export function pauseLeft(ms: number): string {
  if (ms <= 0) return 'time up';
  return `${ms < 60_000 ? `${Math.ceil(ms / 1000)} s` : formatDuration(Math.ceil(ms / 60_000) * 60_000)} left`;
}

/** The Runs view listed flat: `hello · Completed · 1.2 s · 2 min ago`, the flow first (the run name is the label). */
export function flatRunDescription(run: Pick<FlowRunSummary, 'flowName' | 'state' | 'created' | 'startTime' | 'endTime'>, now: number, progress?: number): string {
  return `${run.flowName} · ${runDescription(run, now, progress)}`;
}

/**
 * A flow's row when runs are grouped by flow: `12 runs · last Failed 2 h ago`; with a filter that leaves
 * fewer, `3 of 12 runs · …`. "last" is the flow's newest run, whatever the filter.
 */
export function flowGroupDescription(group: { runs: number; matching?: number; last: Pick<FlowRunSummary, 'state' | 'created' | 'endTime'> }, now: number): string {
  const total = `${group.runs.toLocaleString('en-US')} run${group.runs === 1 ? '' : 's'}`;
  const count = group.matching !== undefined && group.matching !== group.runs ? `${group.matching.toLocaleString('en-US')} of ${total}` : total;
  const last = group.last;
  const when = isTerminal(last.state.type) ? ` ${formatAge(now - (last.endTime ?? last.state.timestamp))}` : '';
  return `${count} · last ${last.state.name}${when}`;
}

/** `1.2 s` → `1.2 seconds`: what a screen reader should say rather than spell. */
function spoken(text: string): string {
  return text.replace(/\b(\d+(?:\.\d+)?) (ms|s|min|h)\b/g, (_m, n: string, unit: string) => {
    const word = { ms: 'millisecond', s: 'second', min: 'minute', h: 'hour' }[unit as 'ms' | 's' | 'min' | 'h'];
    return `${n} ${word}${n === '1' ? '' : 's'}`;
  });
}

/** Short labels for screen readers: flow, run, state, duration and time — not the tooltip. */
export function runAccessibilityLabel(run: Pick<FlowRunSummary, 'name' | 'flowName' | 'state' | 'created' | 'startTime' | 'endTime'>, now: number): string {
  const parts = [`Flow ${run.flowName}`, `run ${run.name}`, run.state.name];
  const took = elapsed(run, now);
  if (took !== undefined) parts.push(spoken(isTerminal(run.state.type) ? `took ${formatDuration(took)}` : `running for ${formatDuration(took)}`));
  if (isTerminal(run.state.type)) parts.push(spoken(formatAge(now - (run.endTime ?? run.state.timestamp))));
  return parts.join(', ');
}

export function flowGroupAccessibilityLabel(flowName: string, description: string): string {
  return spoken(`Flow ${flowName}, ${description.replace(/ · /g, ', ')}`);
}

export function taskAccessibilityLabel(task: Pick<TaskRunRecord, 'name' | 'state' | 'startTime' | 'endTime' | 'attempts'>, now: number): string {
  return spoken(`Task run ${task.name}, ${taskDescription(task, now).replace(/ · /g, ', ')}`);
}

/** `Completed · 0.3 s`, `Failed · 2.1 s · 3 attempts`: attempts show when there was more than one. */
export function taskDescription(task: Pick<TaskRunRecord, 'state' | 'startTime' | 'endTime' | 'attempts'>, now: number): string {
  const parts: string[] = [task.state.name];
  const took = task.startTime === undefined ? undefined : elapsed(task, now);
  if (took !== undefined) parts.push(formatDuration(took));
  if (task.attempts > 1) parts.push(`${task.attempts} attempts`);
  return parts.join(' · ');
}

export interface RunCapabilities {
  /** This window's runner owns the run and it is not finished. */
  cancelable: boolean;
  /** A subflow run: it cannot be rerun alone. */
  subflow: boolean;
}

/**
 * Space-separated tokens menus match with `viewItem =~ /\bcancelable\b/`. No token is part of another,
 * so a regular expression on one never matches a different one.
 */
export function runContextValue(run: Pick<FlowRunSummary, 'state'>, caps: RunCapabilities): string {
  const tokens = [caps.subflow ? 'subflow' : 'flowrun', 'logs', 'dashboard'];
  const finished = isTerminal(run.state.type);
  if (caps.cancelable && !finished) tokens.push('cancelable');
  if (finished && !caps.subflow) tokens.push('rerunnable', 'deletable');
  // Failed, Crashed, Cancelled (TimedOut is a Failed): the same run can go on from its checkpoints.
  if (finished && !caps.subflow && run.state.type !== 'COMPLETED') tokens.push('resumable');
  if (run.state.type === 'FAILED') tokens.push('failure');
  // Waiting in pauseFlowRun: Resume Run gives it its input (wherever it runs).
  if (run.state.type === 'PAUSED') tokens.push('paused');
  return tokens.join(' ');
}

/** A task run's tokens: `failure` when it failed (Go to Failure). */
export function taskContextValue(task: Pick<TaskRunRecord, 'state'>): string {
  return task.state.type === 'FAILED' ? 'taskrun failure' : 'taskrun';
}

/**
 * Escapes text for a MarkdownString, so names and messages from flow code render as written. `.` and `-`
 * are left alone: they only mean something at the start of a line, where this text never goes.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>~]/g, (c) => `\\${c}`);
}

function fence(text: string): string {
  // A fence longer than any backtick run inside keeps the block closed (counted in a loop: spreading
  // half a million runs into Math.max overflowed the stack and the tooltip never came).
  let longest = 2;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}\n${text}\n${ticks}`;
}

function when(ts: number, now: number): string {
  const d = new Date(ts);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  const clock = formatTime(ts);
  return sameDay ? clock : `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${clock}`;
}

const MESSAGE_LIMIT = 1000;
const CACHE_KEY_LIMIT = 500;

/** The run's tooltip as Markdown: flow, state and message, parameters, times. */
export function runTooltip(run: FlowRunSummary & { parameters?: Record<string, unknown> }, now: number): string {
  const lines = [`**${escapeMarkdown(run.name)}** — flow \`${run.flowName.replace(/`/g, "'")}\``, '', `State: **${run.state.name}**`];
  if (run.state.message) {
    const plain = withoutTerminalEscapes(run.state.message);
    const message = plain.length > MESSAGE_LIMIT ? `${plain.slice(0, MESSAGE_LIMIT)}…` : plain;
    lines.push('', fence(message));
  }
  const times = [`Created ${when(run.created, now)}`];
  if (run.startTime !== undefined) times.push(`started ${when(run.startTime, now)}`);
  if (run.endTime !== undefined) times.push(`ended ${when(run.endTime, now)}`);
  const took = elapsed(run, now);
  if (took !== undefined) times.push(`${isTerminal(run.state.type) ? 'took' : 'running for'} ${formatDuration(took)}`);
  lines.push('', escapeMarkdown(times.join(', ')));
  if (run.tags !== undefined) lines.push('', `Tags: ${run.tags.map((t) => `\`${t}\``).join(', ')}`);
  if (run.trigger?.kind === 'schedule') lines.push('', `Run of schedule \`${run.trigger.id}\`, for its slot at ${escapeMarkdown(new Date(run.trigger.slot).toLocaleString())}`);
  if (run.parameters) {
    const keys = Object.keys(run.parameters);
    // Cut as the run's details cut them: a run started with a megabyte of parameters got a megabyte tooltip.
    lines.push('', keys.length === 0 ? 'Parameters: none' : `Parameters:\n\n${fence(parametersText(run.parameters))}`);
  }
  lines.push('', `Source: ${escapeMarkdown(run.source)}`, '', `Host: ${escapeMarkdown(run.owner.hostname)}`);
  return lines.join('\n');
}

export function taskTooltip(task: TaskRunRecord, now: number): string {
  const lines = [`**${escapeMarkdown(task.name)}** — task \`${task.taskName.replace(/`/g, "'")}\``, '', `State: **${task.state.name}**`];
  if (task.state.message) lines.push('', fence(withoutTerminalEscapes(task.state.message).slice(0, MESSAGE_LIMIT)));
  lines.push('', `Attempts: ${task.attempts}`);
  const took = task.startTime === undefined ? undefined : elapsed(task, now);
  if (took !== undefined) lines.push('', `Took ${formatDuration(took)}`);
  if (task.cacheKey) {
    // A key is whatever the flow's cacheKey made of the arguments (a megabyte of JSON, maybe): cut.
    const key = task.cacheKey.length > CACHE_KEY_LIMIT ? `${task.cacheKey.slice(0, CACHE_KEY_LIMIT)}…` : task.cacheKey;
    lines.push('', `Cache key: \`${key.replace(/`/g, "'")}\``);
  }
  return lines.join('\n');
}

/**
 * The status bar while runs are going: `$(sync~spin) 2 flows running`, `$(sync~spin) 1 flow running`, and
 * the one run's progress when it reports any (`$(sync~spin) 1 flow running · 45%`); runs paused for input
 * instead (`$(debug-pause) 1 flow paused`, `$(sync~spin) 3 flows running · 1 paused`).
 */
export function runningText(count: number, progress?: number, paused = 0): string {
  const flows = (n: number): string => `${n} flow${n === 1 ? '' : 's'}`;
  // Paused runs wait for the user: said first, and all of them paused, said alone.
  if (paused > 0 && paused >= count) return `$(debug-pause) ${flows(paused)} paused`;
  return `$(sync~spin) ${flows(count)} running${paused > 0 ? ` · ${paused} paused` : progress !== undefined ? ` · ${progressText(progress)}` : ''}`;
}

/** A paused run in the status bar's tooltip: `deploy-7 · paused: Deploy v7 to production?`. */
export function pausedRunLine(p: { runName: string; message?: string }): string {
  return `${p.runName} · paused${p.message ? `: ${p.message}` : ''} — Resume Run on its row`;
}

/** A run's progress in the status bar's tooltip: `stats-acme · import 45%: Imported 450 of 1,000 files`. */
export function runProgressLine(p: { runName: string; key: string; progress: number; description?: string }): string {
  return `${p.runName} · ${p.key} ${progressText(p.progress)}${p.description ? `: ${p.description}` : ''}`;
}

/** Said while a run started in this window waits for a run slot (`flowdeck.maxConcurrentRuns`). */
export function slotWaitText(running: number): string {
  return `waiting for a free run slot: ${running} run${running === 1 ? '' : 's'} go${running === 1 ? 'es' : ''} at once in this window (flowdeck.maxConcurrentRuns)`;
}

/**
 * What the Runs view's filter keeps; nothing set shows every run. Several states or flows: any of them;
 * several tags: runs carrying every one (as `flowdeck runs --tag`).
 */
export interface RunsFilter {
  flowNames?: readonly string[];
  stateTypes?: readonly StateType[];
  tags?: readonly string[];
  /** Run or flow names containing this text (case-insensitive). */
  search?: string;
}

const STATE_TYPE_LABELS: Record<StateType, string> = {
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CRASHED: 'Crashed',
  CANCELLED: 'Cancelled',
  RUNNING: 'Running',
  CANCELLING: 'Cancelling',
  PENDING: 'Pending',
  SCHEDULED: 'Scheduled',
  PAUSED: 'Paused',
};

export function stateTypeLabel(type: StateType): string {
  return STATE_TYPE_LABELS[type];
}

/** The state types offered by the filter, in the order people look for them. */
export const FILTER_STATE_TYPES: readonly StateType[] = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED', 'RUNNING', 'PENDING'];

export function isFiltered(filter: RunsFilter): boolean {
  return (filter.flowNames?.length ?? 0) > 0 || (filter.stateTypes?.length ?? 0) > 0 || (filter.tags?.length ?? 0) > 0 || (filter.search ?? '') !== '';
}

/** `Failed, Crashed · hello · #etl #nightly · “potoo”`: shown as the view's description while a filter is on. */
export function describeFilter(filter: RunsFilter): string | undefined {
  const parts: string[] = [];
  if (filter.stateTypes?.length) parts.push(filter.stateTypes.map(stateTypeLabel).join(', '));
  if (filter.flowNames?.length) parts.push(filter.flowNames.join(', '));
  if (filter.tags?.length) parts.push(filter.tags.map((t) => `#${t}`).join(' '));
  if (filter.search) parts.push(`“${filter.search}”`);
  return parts.length === 0 ? undefined : parts.join(' · ');
}

/** The view's description: the filter and how many runs it keeps, `Failed · hello — 12 of 2,000 runs`. */
export function filterSummary(filter: RunsFilter, matching: number, total: number): string | undefined {
  const described = describeFilter(filter);
  if (described === undefined) return undefined;
  return `${described} — ${matching.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} run${total === 1 ? '' : 's'}`;
}

/** A representative state name for the icon of a state type (used by the filter picker). */
export function stateNameOfType(type: StateType): StateName {
  return STATE_TYPE_LABELS[type] as StateName;
}
