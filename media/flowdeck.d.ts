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

  /** Where and why a run failed: the error, its causes, and the first frame in your own code. */
  export interface Failure {
    name: string;
    message: string;
    stack?: string;
    causes?: string[];
    frame?: { file: string; line: number; column: number };
  }

  export interface State {
    type: StateType;
    name: StateName;
    /** Epoch milliseconds. */
    timestamp: number;
    message?: string;
    /** Set on a Failed state whose cause is an error thrown by your code. */
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
    /** Store the task's result with its run record. */
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
