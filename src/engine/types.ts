/**
 * The types of the 'flowdeck' module, written once: the authoring functions and the worker that runs
 * flows both use them (so neither imports the other's), and editors see them in the flowdeck.d.ts
 * generated from them.
 */

/** Prefect's state types. */
export type StateType = 'SCHEDULED' | 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'CRASHED' | 'PAUSED' | 'CANCELLING';

/** Prefect's state names; each belongs to one type (`Cached` is COMPLETED, `TimedOut` is FAILED). */
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
  /** Set on a Paused state (pauseFlowRun): until when the run waits, and the input it waits for. */
  pause?: PauseInfo;
  /**
   * Set on a flow run's Failed state when it failed because a subflow run it awaited did not complete (its
   * message says `Subflow run 'x' ended in state …`, and it has no `failure` of its own): that subflow run's
   * id, whose journal says where it failed. Its name alone cannot say which run: two subflow runs can share one.
   */
  subflowRunId?: string;
}

/** What a paused flow run waits for (pauseFlowRun), as Prefect keeps it in a Paused state's details. */
export interface PauseInfo {
  /** When it stops waiting (epoch ms), and `pauseFlowRun` throws a PauseTimeoutError. */
  until: number;
  /** The input a resume must give, declared as parameters are; none: a resume gives nothing. */
  input?: ParameterDeclarations;
  /**
   * Which pause of the run this is (`pause-1` for its first `pauseFlowRun` call, or the call's own `key`):
   * the input a resume gives is recorded under it, so a run resumed from its checkpoints does not ask again.
   */
  key?: string;
}

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

export type ParameterType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

export interface ParameterDeclaration {
  type: ParameterType;
  description?: string;
  /** Used when the parameter is not given; must itself fit the declaration. */
  default?: unknown;
  /** A parameter without a default that must be given. */
  required?: boolean;
  enum?: readonly (string | number | boolean)[];
  /** For strings: a regular expression the whole value must match. */
  pattern?: string;
  minimum?: number;
  maximum?: number;
  /**
   * For strings: the value is a secret (a password, a token). It is masked as `***` wherever the run stores
   * or shows it (its records, logs, name, errors), and the editor asks for it without showing it.
   */
  secret?: boolean;
}

export type ParameterDeclarations = Record<string, ParameterDeclaration>;

/** Delay before retry `attempt` (1-based), in seconds ≥ 0: one number, a list indexed by attempt, or a function. */
export type RetryDelay = number | readonly number[] | ((attempt: number) => number);

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
  /** How many times a failed run is tried again: a whole number ≥ 0. */
  retries?: number;
  retryDelaySeconds?: RetryDelay;
  /** Each delay is multiplied by a random factor in [1 - j, 1 + j]; j is between 0 and 1. */
  retryJitterFactor?: number;
  /** Return false (or a promise of false) to stop retrying this error. */
  retryCondition?: (error: unknown, attempt: number) => boolean | Promise<boolean>;
  /** Seconds (> 0) one attempt may take; it then ends TimedOut. */
  timeoutSeconds?: number;
  /**
   * A key for the result cache; `undefined` skips the cache for that call. `taskInputHash` (Prefect's
   * `task_input_hash`) makes one of the call's arguments and the task's code.
   */
  cacheKey?: (...args: A) => string | undefined;
  /** How long (seconds > 0) a cached result stays valid; unset means forever. */
  cacheExpirationSeconds?: number;
  /**
   * Run the task even when the cache holds a result for its key, and cache what it returns in place of
   * that result (Prefect's `refresh_cache`).
   */
  refreshCache?: boolean;
  /**
   * Keep the task's result with its run (the default): a resumed run returns it instead of running the
   * task again. `false`: never kept (for values that cannot be, or must not be, stored).
   */
  persistResult?: boolean;
  /**
   * Each task run's name, as Prefect's `task_run_name`: a string, or a function of the call's arguments
   * (`taskRunName: (repo) => \`fetch-${repo}\``). Unset: the task's name and the call's number (`fetch-0`).
   */
  taskRunName?: string | ((...args: A) => string);
  onCompletion?: Hook[] | Hook;
  onFailure?: Hook[] | Hook;
}

export interface FlowOptions<P extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  description?: string;
  version?: string;
  /** Seconds (> 0) one attempt of the flow may take; it then ends TimedOut. */
  timeoutSeconds?: number;
  /** How many times a failed run is tried again (resuming from its completed tasks): a whole number ≥ 0. */
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
  /**
   * When the flow runs by itself (`flowdeck serve`, or an open editor window): a cron expression or an
   * interval, or a list of them. Read without running the file, so it must be written out as a literal.
   */
  schedule?: Schedule | Schedule[];
  /**
   * Each flow run's name, as Prefect's `flow_run_name`: a function of the run's (validated) parameters
   * (`flowRunName: ({ repo }) => \`stats-${repo}\``), or a template string where `{repo}` is a parameter's
   * value (`'stats-{repo}'`; `{{` and `}}` are braces). Names are unique in a store, so a name already
   * taken gets `-2`, `-3`… Unset: two random words (`light-potoo`).
   */
  flowRunName?: string | ((parameters: NoInfer<P>) => string);
  /**
   * At most this many runs of the flow at once, across every process and machine sharing the store
   * (Prefect's deployment `concurrency_limit`): a nightly sync never overlaps a run someone started by
   * hand. Counted for runs of the flow itself, not for its calls as a subflow.
   */
  concurrencyLimit?: number;
  /**
   * What a run does while `concurrencyLimit` runs of the flow are going (Prefect's `collision_strategy`):
   * `'enqueue'` (the default) waits, Pending, until one ends; `'cancel-new'` ends Cancelled at once.
   */
  collisionStrategy?: 'enqueue' | 'cancel-new';
  /**
   * Tags every run of the flow carries (Prefect's flow run tags), to find them by: `flowdeck runs --tag
   * nightly`. Each 1 to 64 letters, digits, `_`, `.`, `:` or `-`; at most 20. A run started with `flowdeck run
   * --tag` carries those too, and a subflow run its parent's. Write them out as a literal list, so runs made
   * ahead of time (a schedule's, a queued one) carry them too.
   */
  tags?: string[];
}

/** What `pauseFlowRun` takes: how long to wait, what to say, and the input a resume must give. */
export interface PauseOptions<D extends ParameterDeclarations = ParameterDeclarations> {
  /** Seconds (> 0, default 3600) to wait for a resume; then `pauseFlowRun` throws a PauseTimeoutError. */
  timeoutSeconds?: number;
  /** What the run waits for, shown as its Paused state's message (`Approve the deploy to production?`). */
  description?: string;
  /** The input a resume gives, declared as a flow's parameters are; the resume is refused unless it fits. */
  input?: D;
  /**
   * Which pause this is, within the run (as Prefect's pause `key`): the input a resume gives is recorded
   * under it, and a run resumed from its checkpoints (after a crash, a failure, a retry) that reaches the
   * pause of the same key again goes on with that input instead of asking again. Unset: the call's
   * number in the run (`pause-1`, `pause-2`…) — set it when pauses are conditional, so each keeps its answer.
   */
  key?: string;
}

/** The value a declared parameter (or pause input) takes: its `enum`'s values, or its type's. */
export type DeclaredValue<D extends ParameterDeclaration> = D extends { enum: readonly (infer E)[] }
  ? E
  : D['type'] extends 'string'
    ? string
    : D['type'] extends 'number' | 'integer'
      ? number
      : D['type'] extends 'boolean'
        ? boolean
        : D['type'] extends 'array'
          ? unknown[]
          : Record<string, unknown>;

/** The values declarations give: those `required` or with a `default` always there, the others optional. */
export type DeclaredValues<D extends ParameterDeclarations> = {
  [K in keyof D as D[K] extends { required: true } | { default: unknown } ? K : never]: DeclaredValue<D[K]>;
} & {
  [K in keyof D as D[K] extends { required: true } | { default: unknown } ? never : K]?: DeclaredValue<D[K]>;
};

export type CatchupPolicy = 'latest' | 'none';
export type OverlapPolicy = 'skip' | 'queue' | 'allow';

/** One schedule of a flow, as written in its options (`schedule: { cron: '0 9 * * *' }`) or stored. */
export interface Schedule {
  /** A cron expression of 5 fields, or 6 with seconds first (`*\/10 * * * * *`). Exactly one of `cron` and `intervalSeconds`. */
  cron?: string;
  /** Every this many seconds, counted from 1970-01-01T00:00:00Z (so every 900 s runs at :00, :15, :30, :45). */
  intervalSeconds?: number;
  /** IANA timezone the cron expression is read in (`Europe/Madrid`); the machine's when unset. */
  timezone?: string;
  /** The parameters of the schedule's runs (checked against the flow's declaration). */
  parameters?: Record<string, unknown>;
  /** After the machine was off: `latest` (default) runs the most recent missed slot once; `none` runs none. */
  catchup?: CatchupPolicy;
  /** When the previous run still runs: `skip` (default) the slot, `queue` it, or `allow` both at once. */
  overlap?: OverlapPolicy;
  /** Tags of the schedule's runs, beside the flow's own (Prefect's deployment tags): `runs --tag nightly`. */
  tags?: string[];
}

export interface MapOptions {
  /** At most this many task runs at once (a whole number ≥ 1). Unset: all of them (to bound memory, at most 1,024 are started and unfinished at a time). */
  concurrency?: number;
}

/** Brands what `unmapped()` makes, so no other object passes for it. A type only: nothing holds this key. */
declare const UNMAPPED: unique symbol;

/** A `task.map` argument passed whole to every call: made by `unmapped(value)` (Prefect's `unmapped`). */
export interface Unmapped<T> {
  readonly [UNMAPPED]: T;
}

/** What `task.map` takes for one argument of the task: a list to map over, or `unmapped(value)`. */
export type MapArgument<T> = Iterable<T> | Unmapped<T>;

/**
 * What `task.map` takes for the task's arguments `A`, one MapArgument each; optional arguments may be
 * left out, as in a call.
 */
export type MapArguments<A extends unknown[]> = number extends A['length']
  ? MapArgument<A[number]>[]
  : A extends []
    ? []
    : A extends [infer Head, ...infer Tail]
      ? [MapArgument<Head>, ...MapArguments<Tail>]
      : A extends [(infer Head)?, ...infer Tail]
        ? [] | [MapArgument<Head>, ...MapArguments<Tail>]
        : never;

export type Task<A extends unknown[], R> = ((...args: A) => Promise<Awaited<R>>) & {
  readonly options: TaskOptions<A>;
  /**
   * One task run per item, results in input order. Each of the task's arguments is a list (all the
   * same length: call `i` gets item `i` of each) or `unmapped(value)`; map options may follow.
   */
  map: {
    (...args: MapArguments<A>): Promise<Awaited<R>[]>;
    (...args: [...MapArguments<A>, MapOptions]): Promise<Awaited<R>[]>;
  };
  /**
   * The same task with some options changed, as Prefect's `with_options`: `fetch.withOptions({ retries: 5 })`.
   * The options are checked as `task()` checks them; the task's own are left as they are.
   */
  withOptions(options: Partial<TaskOptions<A>>): Task<A, R>;
};

export type Flow<P extends Record<string, unknown>, R> = ((parameters?: P) => Promise<Awaited<R>>) & {
  readonly options: FlowOptions<P>;
  readonly fn: (parameters: P) => R | Promise<R>;
  /**
   * The same flow with some options changed, as Prefect's `with_options`: `child.withOptions({ retries: 2 })`
   * for a subflow call. The options are checked as `flow()` checks them. (Flowdeck lists the flows a file
   * writes with `flow()`: export those to run them on their own.)
   */
  withOptions(options: Partial<FlowOptions<P>>): Flow<P, R>;
};

export interface RunLogger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  critical(message: string): void;
  log(level: LogLevel, message: string): void;
}

export interface KeyValueStore {
  get<T>(namespace: string, key: string): Promise<T | undefined>;
  set(namespace: string, key: string, value: unknown): Promise<void>;
}

export interface RunContext {
  flowRunId: string;
  flowRunName: string;
  flowName: string;
  taskRunId?: string;
  taskRunName?: string;
  parameters: Record<string, unknown>;
  /** Fires on cancel or timeout: pass it to fetch and API clients. */
  signal: AbortSignal;
  logger: RunLogger;
  /** Small values kept in the run store across runs (ETags, cursors). */
  kv: KeyValueStore;
  /** Masks `value` as `***` in everything stored or printed from now on. */
  registerSecret(value: string): void;
  /** Hands refreshed credentials to the host, which merges them into its credential store. */
  saveCredentials(service: string, patch: Record<string, unknown>): void;
  /** The store folder (FLOWDECK_HOME). */
  home: string;
}

/** What `createChartArtifact` takes: `series` maps a name to one value (or null, a gap) per `x`. */
export interface ChartArtifactInput {
  kind: 'line' | 'bar';
  x: readonly (string | number | Date)[];
  series: Readonly<Record<string, readonly (number | null)[]>>;
  /** The y axis' title, e.g. `ms`. */
  yLabel?: string;
}

/** A table row: an object (its keys are the columns) or a list of cells. */
export type TableRowInput = Readonly<Record<string, unknown>> | readonly unknown[];
