/**
 * The authoring API that flow files import as `'flowdeck'`. It runs inside the worker process; the host
 * (CLI or extension) never calls user code.
 */
import type { LogLevel } from './records';
import type { ParameterDeclarations } from './parameters';
import type { State } from './states';
import { currentContext, currentLogger, type RunContext } from './worker/context';
import { runFlow } from './worker/flowRun';
import { mapTask, runTask } from './worker/taskRun';

export type { ParameterDeclarations, ParameterDeclaration } from './parameters';
export type { State, StateType, StateName } from './states';
export type { LogLevel } from './records';
/** Prefect's `exponential_backoff(factor)`: pass as `retryDelaySeconds` for `factor * 2 ** (retry - 1)` seconds. */
export { exponentialBackoff } from './retryPolicy';
export type { RunContext } from './worker/context';
export { TimeoutError, CancelledError } from './worker/signals';

/** Delay before retry `attempt` (1-based): seconds, a list indexed by attempt, or a function. */
export type RetryDelay = number | number[] | ((attempt: number) => number);

export interface HookInfo {
  /** The flow or task run's id and name. */
  id: string;
  name: string;
  state: State;
  parameters?: Record<string, unknown>;
}

export type Hook = (info: HookInfo) => unknown;

export interface TaskOptions<A extends unknown[]> {
  name: string;
  description?: string;
  tags?: string[];
  retries?: number;
  retryDelaySeconds?: RetryDelay;
  /** Each delay is multiplied by a random factor in [1 - j, 1 + j]. */
  retryJitterFactor?: number;
  /** Return false to stop retrying this error. */
  retryCondition?: (error: unknown, attempt: number) => boolean;
  timeoutSeconds?: number;
  /** A key for the result cache; `undefined` skips the cache for that call. */
  cacheKey?: (...args: A) => string | undefined;
  /** How long a cached result stays valid; unset means forever. */
  cacheExpirationSeconds?: number;
  /**
   * Keep the task's result with its run (the default): a resumed run returns it instead of running the
   * task again. `false`: never kept (for values that cannot be, or must not be, stored).
   */
  persistResult?: boolean;
  onCompletion?: Hook[] | Hook;
  onFailure?: Hook[] | Hook;
}

export interface FlowOptions {
  name: string;
  description?: string;
  version?: string;
  timeoutSeconds?: number;
  retries?: number;
  retryDelaySeconds?: RetryDelay;
  /** When given, runs validate their parameters against it; without it any parameters are accepted. */
  parameters?: ParameterDeclarations;
  /**
   * Checks what a declaration cannot say (one date before another). Throw to reject the parameters:
   * the run is then never created and the CLI exits 2, like any invalid parameter.
   */
  validateParameters?: (parameters: Record<string, unknown>) => void;
  onCompletion?: Hook[] | Hook;
  onFailure?: Hook[] | Hook;
  onCancellation?: Hook[] | Hook;
  onCrashed?: Hook[] | Hook;
  /**
   * When the host (editor, CLI) dies mid-run, the next Flowdeck host that opens the store resumes the
   * run from its checkpoints, once.
   */
  resumeOnCrash?: boolean;
}

export interface MapOptions {
  /** At most this many task runs at once. Unset: all of them (to bound memory, at most 4,096 are started and unfinished at a time). */
  concurrency?: number;
}

export type Task<A extends unknown[], R> = ((...args: A) => Promise<Awaited<R>>) & {
  readonly options: TaskOptions<A>;
  /** One task run per item, results in input order. */
  map(items: Iterable<A[0]>, options?: MapOptions): Promise<Awaited<R>[]>;
};

export const FLOW_MARK = Symbol.for('flowdeck.flow');

export type Flow<P extends Record<string, unknown>, R> = ((parameters?: P) => Promise<Awaited<R>>) & {
  readonly options: FlowOptions;
  readonly fn: (parameters: P) => R | Promise<R>;
  readonly [FLOW_MARK]: true;
};

export function task<A extends unknown[], R>(options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>): Task<A, R> {
  if (!options || typeof options.name !== 'string' || options.name.length === 0) {
    throw new TypeError('task(options, fn): options.name must be a non-empty string');
  }
  if (typeof fn !== 'function') throw new TypeError(`task '${options.name}': the second argument must be a function`);
  const call = (...args: A) => runTask(options, fn, args);
  return Object.assign(call, {
    options,
    map: (items: Iterable<A[0]>, mapOptions?: MapOptions) => mapTask(options, fn, items, mapOptions),
  }) as Task<A, R>;
}

export function flow<P extends Record<string, unknown>, R>(options: FlowOptions, fn: (parameters: P) => R | Promise<R>): Flow<P, R> {
  if (!options || typeof options.name !== 'string' || options.name.length === 0) {
    throw new TypeError('flow(options, fn): options.name must be a non-empty string');
  }
  if (typeof fn !== 'function') throw new TypeError(`flow '${options.name}': the second argument must be a function`);
  const self = ((parameters?: P) => runFlow(self, parameters ?? ({} as P))) as Flow<P, R>;
  return Object.assign(self, { options, fn, [FLOW_MARK]: true as const });
}

export function isFlow(value: unknown): value is Flow<Record<string, unknown>, unknown> {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[FLOW_MARK] === true;
}

export interface RunLogger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
  log(level: LogLevel, message: string): void;
}

/** The logger of the flow or task run that is executing. */
export function getRunLogger(): RunLogger {
  return currentLogger();
}

/** The executing run: ids, names, the AbortSignal that fires on cancel or timeout, and a key-value store. */
export function getRunContext(): RunContext {
  return currentContext('getRunContext()');
}
