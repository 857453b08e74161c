/**
 * The authoring API that flow files import as `'flowdeck'`. It runs inside the worker process; the host
 * (CLI or extension) never calls user code. Everything exported here is public: the users' flowdeck.d.ts
 * is generated from this file, with the types of types.ts.
 */
import { chartData, linkData, markdownData, progressData, tableData } from './artifacts';
import { checkChangedOptions, checkFlowOptions, checkTaskOptions } from './options';
import type { ChartArtifactInput, DeclaredValues, Flow, FlowOptions, ParameterDeclarations, PauseOptions, RunContext, RunLogger, TableRowInput, Task, TaskOptions, Unmapped } from './types';
import { currentContext, currentLogger } from './worker/context';
import { runFlow } from './worker/flowRun';
import { pauseFlowRun as pauseRun, suspendFlowRun as suspendRun } from './worker/pause';
import { publishArtifact } from './worker/artifacts';
import { noteFlow } from './worker/declaredFlows';
import { UnmappedValue } from './worker/mapArguments';
import { mapTask, runTask } from './worker/taskRun';
import { getVariable as readVariable, setVariable as writeVariable } from './worker/variables';

export type {
  CatchupPolicy,
  ChartArtifactInput,
  DeclaredValue,
  DeclaredValues,
  Failure,
  Flow,
  FlowOptions,
  Hook,
  HookInfo,
  KeyValueStore,
  LogLevel,
  MapArgument,
  MapArguments,
  MapOptions,
  OverlapPolicy,
  ParameterDeclaration,
  ParameterDeclarations,
  ParameterType,
  PauseInfo,
  PauseOptions,
  RetryDelay,
  RunContext,
  RunLogger,
  Schedule,
  State,
  StateName,
  StateType,
  TableRowInput,
  Task,
  TaskOptions,
  Unmapped,
} from './types';
/** Prefect's `exponential_backoff(factor)`: pass as `retryDelaySeconds` for `factor * 2 ** (retry - 1)` seconds. */
export { exponentialBackoff } from './retryPolicy';
export { CancelledError, PauseTimeoutError, TimeoutError } from './runErrors';
export { ArtifactError } from './artifacts';
/** Prefect's `task_input_hash`: `cacheKey: taskInputHash` caches a task by its arguments (and its code). */
export { taskInputHash } from './taskInputHash';

/** Marks flow objects, across copies of this module (a flow file's own import and the worker's). */
const FLOW_MARK = Symbol.for('flowdeck.flow');

/**
 * A task: each call inside a flow run is a task run of its own, with a state, retries, a timeout, the
 * result cache and logs. Outside a flow it is a plain function call. The options are checked here: a
 * wrong one throws, naming it, when the flow file loads.
 */
export function task<A extends unknown[], R>(options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>): Task<A, R> {
  checkTaskOptions(options);
  if (typeof fn !== 'function') throw new TypeError(`task '${options.name}': the second argument must be a function`);
  const call = (...args: A) => runTask(options, fn, args);
  const map = (...args: unknown[]) => mapTask(options, fn, args);
  const withOptions = (changed: Partial<TaskOptions<A>>): Task<A, R> => {
    checkChangedOptions(`task '${options.name}'`, changed);
    return task({ ...options, ...changed }, fn);
  };
  return Object.assign(call, { options, map: map as Task<A, R>['map'], withOptions });
}

/**
 * Passes `value` whole to every call of a `task.map`, where the other arguments are mapped over
 * (Prefect's `unmapped`): `add.map([1, 2, 3], unmapped(10))` calls `add(1, 10)`, `add(2, 10)`, `add(3, 10)`.
 */
export function unmapped<T>(value: T): Unmapped<T> {
  return new UnmappedValue(value) as unknown as Unmapped<T>;
}

/** A flow: called by `flowdeck run` or the editor it is a flow run; called inside one, a subflow run. */
export function flow<P extends Record<string, unknown>, R>(options: FlowOptions<P>, fn: (parameters: P) => R | Promise<R>): Flow<P, R> {
  checkFlowOptions(options);
  if (typeof fn !== 'function') throw new TypeError(`flow '${options.name}': the second argument must be a function`);
  noteFlow(options.name);
  const self = ((parameters?: P) => runFlow(self, parameters ?? ({} as P))) as Flow<P, R>;
  const withOptions = (changed: Partial<FlowOptions<P>>): Flow<P, R> => {
    checkChangedOptions(`flow '${options.name}'`, changed);
    return flow({ ...options, ...changed }, fn);
  };
  return Object.assign(self, { options, fn, withOptions, [FLOW_MARK]: true as const });
}

export function isFlow(value: unknown): value is Flow<Record<string, unknown>, unknown> {
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[FLOW_MARK] === true;
}

/** The logger of the flow or task run that is executing. */
export function getRunLogger(): RunLogger {
  return currentLogger();
}

/**
 * A variable's value (Prefect's `Variable.get`): named JSON kept in the store, set with `flowdeck variable
 * set NAME VALUE` or `setVariable`; `defaultValue` (or undefined) when it is not set. A name is 1-64 of
 * a-z, 0-9, `_` and `-`. Read when called: a run sees a change made while it runs at its next call. Works in
 * a run and at the flow file's top level (read as Flowdeck loads the file for a run).
 */
export function getVariable<T = unknown>(name: string): Promise<T | undefined>;
export function getVariable<T>(name: string, defaultValue: T): Promise<T>;
export function getVariable<T>(name: string, defaultValue?: T): Promise<T | undefined> {
  return readVariable(name, defaultValue);
}

/**
 * Sets a variable (Prefect's `Variable.set`) for every run and process that shares the store: a JSON value
 * (string, number, boolean, null, list, object) of at most 64 KiB. Not for secrets: `flowdeck variable ls`
 * shows values (a secret the run registered is stored as `***`).
 */
export function setVariable(name: string, value: unknown): Promise<void> {
  return writeVariable(name, value);
}

/** The executing run: ids, names, the AbortSignal that fires on cancel or timeout, and a key-value store. */
export function getRunContext(): RunContext {
  return currentContext('getRunContext()');
}

/*
 * Artifacts: called inside a flow or task run, each stores a keyed artifact with that run, shown in the
 * dashboard (the latest of each key per flow) and by `flowdeck artifacts <run>`. Keys are 1-64 of a-z,
 * 0-9 and -; another artifact of the same key in the same run replaces it. A bad artifact throws an
 * ArtifactError saying what to change (limits: README "Artifacts"). Secrets are masked as in logs.
 */

/** A markdown document (GitHub-flavoured; rendered sanitised: no scripts, no raw HTML handlers). */
export function createMarkdownArtifact(key: string, markdown: string): void {
  publishArtifact('createMarkdownArtifact', key, () => markdownData(markdown));
}

/** A table: rows of objects (their keys are the columns) or rows of cells (`string[][]`, no header). */
export function createTableArtifact(key: string, rows: readonly TableRowInput[]): void {
  publishArtifact('createTableArtifact', key, () => tableData(rows));
}

/** A link (http or https only), with an optional label shown instead of the URL. */
export function createLinkArtifact(key: string, url: string, label?: string): void {
  publishArtifact('createLinkArtifact', key, () => linkData(url, label));
}

/**
 * How far long work is, as Prefect's progress artifact: a percentage from 0 to 100 and what is being done
 * (`createProgressArtifact('import', 45, 'Imported 450 of 1,000 files')`). Call it again with the same key
 * as the work goes on: the run keeps the latest (updates closer than a quarter second apart are written
 * once, the latest; the last is always written before the run ends), so a loop may call it every item.
 */
export function createProgressArtifact(key: string, progress: number, description?: string): void {
  publishArtifact('createProgressArtifact', key, () => progressData(progress, description));
}

/** A line or bar chart: one value (or null, a gap) per `x` in each series, e.g. `{ kind: 'line', x: dates, series: { p50, p95 }, yLabel: 'ms' }`. */
export function createChartArtifact(key: string, chart: ChartArtifactInput): void {
  publishArtifact('createChartArtifact', key, () => chartData(chart));
}

/**
 * Pauses the flow run until someone resumes it (Prefect's `pause_flow_run`): the run is Paused, its
 * `description` its state's message, until `flowdeck resume <run>` or *Resume Run* in VS Code — then this
 * resolves with the resume's input, checked against `input` (declared as a flow's parameters are) and
 * typed by it. Not resumed within `timeoutSeconds` (default 3600): throws a PauseTimeoutError. Called in
 * a flow's own code (a task run cannot pause); a cancel or the flow's timeout ends the wait as any other.
 *
 * ```ts
 * const { approve, note } = await pauseFlowRun({
 *   description: 'Deploy to production?',
 *   input: { approve: { type: 'boolean', required: true }, note: { type: 'string', default: '' } },
 * });
 * ```
 */
export function pauseFlowRun<const D extends ParameterDeclarations = Record<never, never>>(options: PauseOptions<D> = {}): Promise<DeclaredValues<D>> {
  return pauseRun(options) as Promise<DeclaredValues<D>>;
}

/**
 * Suspends the flow run until someone resumes it (Prefect's `suspend_flow_run`): as `pauseFlowRun`, but
 * nothing waits meanwhile — the run's attempt ends Suspended and its process exits (a worker's place is
 * free, the editor may close). `flowdeck resume <run> --input …` or *Resume Run* runs it again from its
 * checkpoints: completed tasks are reused, and this call returns the input at once. Not resumed within
 * `timeoutSeconds` (default 3600): the run ends Failed. Only in a flow run of its own (not a subflow),
 * with none of its task runs going — so code before it must be safe to repeat, as for any resume.
 *
 * ```ts
 * const { approve } = await suspendFlowRun({
 *   description: 'Publish the report?',
 *   timeoutSeconds: 7 * 24 * 3600,
 *   input: { approve: { type: 'boolean', required: true } },
 * });
 * ```
 */
export function suspendFlowRun<const D extends ParameterDeclarations = Record<never, never>>(options: PauseOptions<D> = {}): Promise<DeclaredValues<D>> {
  return suspendRun(options) as Promise<DeclaredValues<D>>;
}
