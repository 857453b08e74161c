/**
 * Types for `import { flow, task } from 'flowdeck'` in flow files. Flowdeck supplies the module when it
 * runs a flow; this file only lets the editor check your code. Written by "Flowdeck: Create a Flow";
 * safe to commit, and to delete if you install Flowdeck's package types another way.
 */
declare module 'flowdeck' {
  export type StateType = 'SCHEDULED' | 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'CRASHED' | 'PAUSED' | 'CANCELLING';
  export type StateName =
    | 'Scheduled'
    | 'Late'
    | 'AwaitingRetry'
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

  export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL';

  export type ParameterType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

  export interface ParameterDeclaration {
    type: ParameterType;
    description?: string;
    default?: unknown;
    /** A parameter without a default that must be given. */
    required?: boolean;
    enum?: readonly (string | number | boolean)[];
    /** For strings: a regular expression the whole value must match. */
    pattern?: string;
    minimum?: number;
    maximum?: number;
  }

  export type ParameterDeclarations = Record<string, ParameterDeclaration>;

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
    /**
     * When the flow runs by itself (`flowdeck serve`, or an open editor window): a cron expression or an
     * interval, or a list of them. Read without running the file, so it must be written out as a literal.
     */
    schedule?: Schedule | Schedule[];
  }

  export type CatchupPolicy = 'latest' | 'none';
  export type OverlapPolicy = 'skip' | 'queue' | 'allow';

  /** One schedule of a flow. */
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
  }

  export interface MapOptions {
    /** At most this many task runs at once; unlimited when unset. */
    concurrency?: number;
  }

  export type Task<A extends unknown[], R> = ((...args: A) => Promise<Awaited<R>>) & {
    readonly options: TaskOptions<A>;
    /** One task run per item, results in input order. */
    map(items: Iterable<A[0]>, options?: MapOptions): Promise<Awaited<R>[]>;
  };

  export type Flow<P extends Record<string, unknown>, R> = ((parameters?: P) => Promise<Awaited<R>>) & {
    readonly options: FlowOptions;
    readonly fn: (parameters: P) => R | Promise<R>;
  };

  /** Prefect's `exponential_backoff(factor)`: pass as `retryDelaySeconds` for `factor * 2 ** (retry - 1)` seconds. */
  export function exponentialBackoff(factor: number): (retry: number) => number;

  /** Thrown into a run whose time ran out. */
  export class TimeoutError extends Error {
    readonly name: 'TimeoutError';
  }

  /** Thrown into a run that was cancelled. */
  export class CancelledError extends Error {
    readonly name: 'CancelledError';
  }

  export function task<A extends unknown[], R>(options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>): Task<A, R>;

  export function flow<P extends Record<string, unknown>, R>(options: FlowOptions, fn: (parameters: P) => R | Promise<R>): Flow<P, R>;

  export function isFlow(value: unknown): value is Flow<Record<string, unknown>, unknown>;

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

  /** The logger of the flow or task run that is executing. */
  export function getRunLogger(): RunLogger;

  /** The executing run: ids, names, the AbortSignal that fires on cancel or timeout, and a key-value store. */
  export function getRunContext(): RunContext;
}
