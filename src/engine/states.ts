/** Prefect's state model: a state is data, and every change is a timestamped event. */

export type StateType =
  | 'SCHEDULED'
  | 'PENDING'
  | 'RUNNING'
  | 'COMPLETED'
  | 'FAILED'
  | 'CANCELLED'
  | 'CRASHED'
  | 'PAUSED'
  | 'CANCELLING';

export type StateName =
  | 'Scheduled'
  | 'Late'
  | 'AwaitingRetry'
  /** A task run waiting for a slot of a tag's concurrency limit (Prefect's name). */
  | 'AwaitingConcurrencySlot'
  | 'Pending'
  | 'Running'
  | 'Retrying'
  | 'Completed'
  | 'Cached'
  | 'Failed'
  | 'TimedOut'
  | 'Cancelled'
  | 'Cancelling'
  | 'Crashed'
  | 'Paused'
  | 'Suspended';

/** Where and why a run failed: for a failure card and a diagnostic at the user's line. */
export interface Failure {
  /** The error's name (`TypeError`, `GitHubError`). */
  name: string;
  message: string;
  /** The stack, user frames first (source-mapped to .ts lines), Flowdeck's own frames folded. */
  stack?: string;
  /** Messages of the `cause` chain (and an AggregateError's errors), outermost first. */
  causes?: string[];
  /** The first frame in the user's own code: file (absolute path), 1-based line and column. */
  frame?: { file: string; line: number; column: number };
}

export interface State {
  type: StateType;
  name: StateName;
  /** Epoch milliseconds. */
  timestamp: number;
  message?: string;
  /** Set on a Failed state whose cause is an error thrown by user code. */
  failure?: Failure;
}

const TERMINAL: ReadonlySet<StateType> = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED']);

export function isTerminal(type: StateType): boolean {
  return TERMINAL.has(type);
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

/** `Completed()`, `Failed('boom')` — the way Prefect prints a final state. */
export function formatState(s: Pick<State, 'name' | 'message'>): string {
  return s.message ? `${s.name}(${quote(s.message)})` : `${s.name}()`;
}

function quote(message: string): string {
  return `'${message.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
