/** Prefect's state model: a state is data, and every change is a timestamped event. */

import type { Failure, State, StateName, StateType } from './types';

export type { Failure, State, StateName, StateType } from './types';

const TERMINAL: ReadonlySet<StateType> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED']);

export function isTerminal(type: StateType): boolean {
  return TERMINAL.has(type);
}

/**
 * Whether a run in state `s` is settled — running nowhere: it ended (a terminal state), or its attempt did
 * and it waits, Suspended (suspendFlowRun), for a resume that starts a new one. Only a new attempt
 * (AwaitingRetry) follows either; no process owns it, so none is found dead and marked Crashed.
 */
export function isSettled(s: { type: StateType; name: StateName }): boolean {
  return TERMINAL.has(s.type) || s.name === 'Suspended';
}

const TYPE_OF: Record<StateName, StateType> = {
  Scheduled: 'SCHEDULED',
  Late: 'SCHEDULED',
  AwaitingRetry: 'SCHEDULED',
  AwaitingConcurrencySlot: 'SCHEDULED',
  Pending: 'PENDING',
  Running: 'RUNNING',
  Retrying: 'RUNNING',
  Completed: 'COMPLETED',
  Cached: 'COMPLETED',
  Failed: 'FAILED',
  TimedOut: 'FAILED',
  Cancelled: 'CANCELLED',
  Cancelling: 'CANCELLING',
  Crashed: 'CRASHED',
  Paused: 'PAUSED',
  Suspended: 'PAUSED',
};

/** Every state name, as written (`TimedOut`, `AwaitingRetry`). */
export const STATE_NAMES = Object.keys(TYPE_OF) as readonly StateName[];

export function stateType(name: StateName): StateType {
  return TYPE_OF[name];
}

export function isStateName(value: unknown): value is StateName {
  return typeof value === 'string' && Object.hasOwn(TYPE_OF, value);
}

export function state(name: StateName, message?: string, timestamp = Date.now(), failure?: Failure): State {
  const s: State = message === undefined ? { type: TYPE_OF[name], name, timestamp } : { type: TYPE_OF[name], name, timestamp, message };
  if (failure !== undefined) s.failure = failure;
  return s;
}

/**
 * The state of a task run or subflow run left unfinished by the flow run it belongs to, which ended in
 * `end`: as that run ended, but Failed for a Completed one (the work was cut off, never finished).
 */
export function leftUnfinishedBy(end: State): StateName {
  return end.type === 'CANCELLED' ? 'Cancelled' : end.type === 'CRASHED' ? 'Crashed' : 'Failed';
}

/**
 * `Completed()`, `Failed('boom')`, `Failed("can't connect")` — the way Prefect prints a final state: its
 * message as Python's `repr` writes a string, so a message of several lines stays on the log's one line.
 */
export function formatState(s: Pick<State, 'name' | 'message'>): string {
  return s.message ? `${s.name}(${pythonRepr(s.message)})` : `${s.name}()`;
}

/**
 * A state's message without the state's name it may begin with (`Cancelled: serve was stopped` of a Cancelled
 * state reads `serve was stopped`): what a text saying the name already adds, so the name is not said twice.
 */
export function messageAfterName(s: Pick<State, 'name' | 'message'>): string | undefined {
  const m = s.message?.match(new RegExp(`^\\s*${s.name}\\s*(?::\\s*|$)`));
  const rest = m ? s.message!.slice(m[0].length) : s.message;
  return rest === '' ? undefined : rest;
}

/**
 * `Failed: boom` — a state's name and its message as a sentence says them: a message that begins with the
 * name already (`Cancelled: serve was stopped`, `Cancelled by Ctrl-C`) is said alone, not after it again.
 */
export function stateAndMessage(s: Pick<State, 'name' | 'message'>): string {
  if (!s.message) return s.name;
  if (new RegExp(`^${s.name}\\b`).test(s.message.trimStart())) return s.message.trimStart();
  return `${s.name}: ${s.message}`;
}

/** `Completed`, `Failed('boom')`: the state's name, with its message (on one line) when it has one. */
export function stateLabel(s: Pick<State, 'name' | 'message'>): string {
  return s.message ? formatState(s) : s.name;
}

/**
 * What Python's repr escapes: a backslash and the characters it does not print (controls, format characters,
 * surrogates, private use, unassigned, separators other than the space).
 */
const UNPRINTABLE = /(?! )[\\\p{C}\p{Z}]/gu;
const NAMED: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOf(c: string): string {
  const code = c.codePointAt(0)!;
  const hex = code.toString(16);
  return NAMED[c] ?? (code <= 0xff ? `\\x${hex.padStart(2, '0')}` : code <= 0xffff ? `\\u${hex.padStart(4, '0')}` : `\\U${hex.padStart(8, '0')}`);
}

/** A string as Python's `repr` writes it: in single quotes, or double quotes when it holds a ' and no ". */
function pythonRepr(text: string): string {
  const q = text.includes("'") && !text.includes('"') ? '"' : "'";
  const escaped = text.replace(UNPRINTABLE, escapeOf);
  return q + (q === "'" ? escaped.replace(/'/g, "\\'") : escaped) + q;
}
