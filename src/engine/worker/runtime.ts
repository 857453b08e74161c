/**
 * What `flow()` and `task()` do when called: run contexts, state changes, retries, timeouts, caching,
 * mapping and subflows. Runs in the worker process; everything it records goes to the host as events.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Flow, FlowOptions, Hook, HookInfo, MapOptions, RunLogger, TaskOptions } from '../api';
import { mapWithLimit } from '../concurrency';
import { flowRunSource, taskRunSource } from '../logFormat';
import { checkDeclarations, validateParameters } from '../parameters';
import type { Request, WorkerEvent } from '../protocol';
import type { LogLevel } from '../records';
import { retryDelaySeconds } from '../retryPolicy';
import { formatState, state, type State, type StateName } from '../states';

/** How the runtime talks to its host. The worker process supplies one over IPC. */
export interface HostLink {
  emit(event: WorkerEvent, urgent?: boolean): void;
  request(request: Request): Promise<unknown>;
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

/** Thrown into a run whose time ran out. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Thrown into a run that was cancelled. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

interface FlowRunScope {
  id: string;
  name: string;
  flowName: string;
  parameters: Record<string, unknown>;
  /** Next index per task name, for `fetch-repo-0`, `fetch-repo-1`, ... */
  taskCounters: Map<string, number>;
}

let host: HostLink | undefined;
let home = '';
const rootController = new AbortController();
const storage = new AsyncLocalStorage<Ctx>();

export function connectHost(link: HostLink, storeHome: string): void {
  host = link;
  home = storeHome;
}

/** Cancels everything running in this worker. */
export function cancelAll(reason: string): void {
  rootController.abort(new CancelledError(reason));
}

function link(): HostLink {
  if (!host) throw new Error('Flowdeck runtime is not connected to a host: run flows with `flowdeck run` or from VS Code');
  return host;
}

export function currentContext(what: string): RunContext {
  const ctx = storage.getStore();
  if (!ctx) throw new Error(`${what} was called outside a flow or task run; call it from inside a flow`);
  return ctx;
}

/**
 * The current run's logger. Callbacks that lose the async context (an AbortSignal listener runs in the
 * context of whoever aborted) still log to the flow run rather than failing.
 */
export function currentLogger(): RunLogger {
  return (storage.getStore() ?? fallbackCtx ?? currentContext('getRunLogger()')).logger;
}

/** The context a log line written outside any run (module top level, stray timers) belongs to. */
let fallbackCtx: Ctx | undefined;

export function logOutsideRun(level: LogLevel, message: string): void {
  const ctx = storage.getStore() ?? fallbackCtx;
  if (ctx) ctx.logger.log(level, message);
  else process.stderr.write(`${message}\n`);
}

function makeLogger(runId: string, taskRunId: string | undefined, source: string): RunLogger {
  const log = (level: LogLevel, message: string): void => {
    link().emit({ k: 'log', runId, task: taskRunId, level, source, msg: String(message), ts: Date.now() });
  };
  return {
    log,
    debug: (m) => log('DEBUG', m),
    info: (m) => log('INFO', m),
    warning: (m) => log('WARNING', m),
    error: (m) => log('ERROR', m),
    critical: (m) => log('CRITICAL', m),
  };
}

const kv: KeyValueStore = {
  get: async <T>(namespace: string, key: string) => (await link().request({ op: 'kv-get', namespace, key })) as T | undefined,
  set: async (namespace, key, value) => {
    await link().request({ op: 'kv-set', namespace, key, value: toJson(value) });
  },
};

class Ctx implements RunContext {
  readonly flowRunId: string;
  readonly flowRunName: string;
  readonly flowName: string;
  readonly parameters: Record<string, unknown>;
  readonly kv = kv;
  private ownLogger?: RunLogger;

  constructor(
    readonly scope: FlowRunScope,
    readonly signal: AbortSignal,
    readonly taskRunId?: string,
    readonly taskRunName?: string,
  ) {
    this.flowRunId = scope.id;
    this.flowRunName = scope.name;
    this.flowName = scope.flowName;
    this.parameters = scope.parameters;
  }

  // Made on first use: most task runs never log.
  get logger(): RunLogger {
    this.ownLogger ??= makeLogger(this.scope.id, this.taskRunId, this.taskRunName ? taskRunSource(this.taskRunName) : flowRunSource(this.scope.name));
    return this.ownLogger;
  }

  get home(): string {
    return home;
  }

  registerSecret(value: string): void {
    if (typeof value === 'string' && value.length > 0) link().emit({ k: 'secret', value }, true);
  }

  saveCredentials(service: string, patch: Record<string, unknown>): void {
    link().emit({ k: 'credentials', service, patch: toJson(patch) as Record<string, unknown> }, true);
  }
}

function emitState(kind: 'flow' | 'task', id: string, name: StateName, message?: string, extra?: { attempt?: number; deadline?: number }): State {
  const s = state(name, message);
  if (kind === 'task' && message === undefined && extra?.deadline === undefined) {
    link().emit(extra?.attempt === undefined ? { k: 'ts', id, n: name, ts: s.timestamp } : { k: 'ts', id, n: name, ts: s.timestamp, a: extra.attempt });
  } else {
    link().emit({ k: 'state', id, kind, state: s, ...extra }, extra?.deadline !== undefined);
  }
  return s;
}

/** Task run ids: unique per worker process and short, since a big map sends tens of thousands. */
const idPrefix = randomUUID().slice(0, 8);
let nextTaskId = 0;

/** JSON-safe copy of a result: what the store can keep and the UI can show. */
function toJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
  } catch (e) {
    return { unserializable: `${Object.prototype.toString.call(value)}: ${(e as Error).message}` };
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const base = error.message || error.name;
    return error.name && error.name !== 'Error' && !base.startsWith(error.name) ? `${error.name}: ${base}` : base;
  }
  return String(error);
}

function hooksOf(h: Hook[] | Hook | undefined): Hook[] {
  return h === undefined ? [] : Array.isArray(h) ? h : [h];
}

async function runHooks(kind: string, hooks: Hook[], info: HookInfo, logger: RunLogger): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook(info);
    } catch (e) {
      logger.error(`${kind} hook '${hook.name || 'anonymous'}' failed: ${errorMessage(e)}`);
    }
  }
}

/** Waits `ms`, rejecting early with the signal's reason. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs one attempt of `fn`, settling early when `signal` aborts: user code that ignores the signal is
 * abandoned rather than waited for.
 */
function attempt<R>(fn: () => R | Promise<R>, signal: AbortSignal): Promise<R> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<R>((resolve, reject) => {
    const watcher = childController(signal);
    watcher.signal.onabort = () => reject(signal.reason);
    Promise.resolve()
      .then(fn)
      .then(resolve, reject)
      .finally(() => children.get(signal)?.delete(watcher));
  });
}

interface Scoped {
  signal: AbortSignal;
  dispose(): void;
  deadline?: number;
}

/**
 * Children of each parent signal, aborted through one listener per parent: thousands of concurrent task
 * runs would otherwise each add and remove a listener on the same signal, which costs O(n) per removal.
 */
const children = new WeakMap<AbortSignal, Set<AbortController>>();

function childController(parent: AbortSignal): AbortController {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return controller;
  }
  let set = children.get(parent);
  if (!set) {
    const created = new Set<AbortController>();
    children.set(parent, (set = created));
    parent.addEventListener('abort', () => {
      for (const c of created) c.abort(parent.reason);
      created.clear();
    }, { once: true });
  }
  set.add(controller);
  return controller;
}

/** A signal that fires when the parent does or after `timeoutSeconds`, whichever comes first. */
function scopedSignal(parent: AbortSignal, timeoutSeconds: number | undefined, what: string): Scoped {
  // Without a timeout there is nothing of its own to abort: share the parent's signal.
  if (timeoutSeconds === undefined || timeoutSeconds <= 0) return { signal: parent, dispose: () => undefined };
  const controller = childController(parent);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const timer = setTimeout(() => controller.abort(new TimeoutError(`${what} exceeded timeout of ${timeoutSeconds} second(s)`)), timeoutSeconds * 1000);
  return {
    signal: controller.signal,
    deadline,
    dispose: () => {
      clearTimeout(timer);
      children.get(parent)?.delete(controller);
    },
  };
}

function finalStateFor(error: unknown): [StateName, string] {
  if (error instanceof TimeoutError) return ['TimedOut', error.message];
  if (error instanceof CancelledError) return ['Cancelled', error.message];
  return ['Failed', errorMessage(error)];
}

export class FlowRunError extends Error {
  override readonly name = 'FlowRunError';
  constructor(
    message: string,
    readonly state: State,
  ) {
    super(message);
  }
}

interface RetryPlan {
  retries: number;
  delay: FlowOptions['retryDelaySeconds'];
  jitter: number;
  condition?: (error: unknown, attempt: number) => boolean;
}

/**
 * The retry loop shared by flows and tasks. `run` is one attempt; returns its value or throws the last
 * error once retries are spent, the condition says stop, or the signal fired.
 */
async function withRetries<R>(
  kind: 'flow' | 'task',
  id: string,
  label: string,
  plan: RetryPlan,
  outer: AbortSignal,
  logger: RunLogger,
  run: (attemptNo: number) => Promise<R>,
): Promise<R> {
  for (let attemptNo = 1; ; attemptNo++) {
    try {
      return await run(attemptNo);
    } catch (error) {
      const retriesLeft = plan.retries - (attemptNo - 1);
      const stopped = error instanceof CancelledError || outer.aborted;
      let allowed = !stopped && retriesLeft > 0;
      if (allowed && plan.condition) {
        try {
          allowed = plan.condition(error, attemptNo) !== false;
        } catch (e) {
          logger.error(`retryCondition threw: ${errorMessage(e)}; not retrying`);
          allowed = false;
        }
      }
      if (!allowed) {
        if (!stopped && plan.retries > 0 && retriesLeft <= 0) logger.error(`${label} failed after ${attemptNo} attempt(s): ${errorMessage(error)}. Retries are exhausted.`);
        throw error;
      }
      const seconds = retryDelaySeconds(plan.delay, attemptNo, plan.jitter);
      logger.warning(`Encountered exception during execution: ${errorMessage(error)}`);
      logger.info(`Retry ${attemptNo}/${plan.retries} will start ${formatSeconds(seconds)} from now`);
      emitState(kind, id, 'AwaitingRetry', `Retry ${attemptNo}/${plan.retries} in ${formatSeconds(seconds)}`);
      await sleep(seconds * 1000, outer);
    }
  }
}

function formatSeconds(s: number): string {
  const rounded = Math.round(s * 1000) / 1000;
  return `${rounded} second${rounded === 1 ? '' : 's'}`;
}

/** Runs a flow: the root run (when the host says start) or a subflow (when called inside a run). */
export async function runFlow<P extends Record<string, unknown>, R>(flowObj: Flow<P, R>, parameters: P): Promise<Awaited<R>> {
  const parent = storage.getStore();
  if (!parent) {
    throw new Error(`flow '${flowObj.options.name}' was called directly; run it with \`flowdeck run\` or from VS Code, or call it from inside another flow to make it a subflow`);
  }
  const validated = validateParameters(flowObj.options.name, checkDeclarations(flowObj.options.name, flowObj.options.parameters), parameters);
  const { id, name } = (await link().request({
    op: 'subflow',
    parentRunId: parent.flowRunId,
    parentTaskRunId: parent.taskRunId,
    flowName: flowObj.options.name,
    parameters: toJson(validated) as Record<string, unknown>,
  })) as { id: string; name: string };
  const outcome = await executeFlowRun(flowObj, { id, name }, validated, parent.signal);
  if (outcome.state.type !== 'COMPLETED') throw new FlowRunError(`Subflow run '${name}' ended in state ${formatState(outcome.state)}`, outcome.state);
  return outcome.value as Awaited<R>;
}

export interface FlowOutcome {
  state: State;
  value?: unknown;
}

/** Runs one flow run to a final state. Never throws: every outcome is a state. */
export async function executeFlowRun(
  flowObj: Flow<Record<string, unknown>, unknown> | Flow<never, unknown>,
  run: { id: string; name: string },
  parameters: Record<string, unknown>,
  parentSignal: AbortSignal = rootController.signal,
): Promise<FlowOutcome> {
  const options = flowObj.options;
  const fn = flowObj.fn as (p: Record<string, unknown>) => unknown;
  const scope: FlowRunScope = { id: run.id, name: run.name, flowName: options.name, parameters, taskCounters: new Map() };
  const scoped = scopedSignal(parentSignal, options.timeoutSeconds, `Flow run '${run.name}'`);
  const ctx = new Ctx(scope, scoped.signal);
  fallbackCtx ??= ctx;
  const plan: RetryPlan = { retries: options.retries ?? 0, delay: options.retryDelaySeconds, jitter: 0 };
  let final: State;
  let value: unknown;
  try {
    value = await storage.run(ctx, () =>
      withRetries('flow', run.id, `Flow run '${run.name}'`, plan, scoped.signal, ctx.logger, (attemptNo) => {
        emitState('flow', run.id, attemptNo === 1 ? 'Running' : 'Retrying', undefined, { attempt: attemptNo, deadline: scoped.deadline });
        return attempt(() => fn(structuredClone(parameters)), scoped.signal);
      }),
    );
    const json = toJson(value);
    if (json !== undefined) link().emit({ k: 'result', id: run.id, kind: 'flow', value: json });
    final = emitState('flow', run.id, 'Completed');
    const done = final;
    await storage.run(ctx, () => runHooks('onCompletion', hooksOf(options.onCompletion), { id: run.id, name: run.name, state: done, parameters }, ctx.logger));
  } catch (error) {
    const [name, message] = finalStateFor(error);
    if (name === 'Failed' && error instanceof Error && error.stack) ctx.logger.error(`Encountered exception during execution:\n${error.stack}`);
    final = emitState('flow', run.id, name, message);
    const done = final;
    const hooks = name === 'Cancelled' ? options.onCancellation : options.onFailure;
    await storage.run(ctx, () => runHooks(name === 'Cancelled' ? 'onCancellation' : 'onFailure', hooksOf(hooks), { id: run.id, name: run.name, state: done, parameters }, ctx.logger));
  } finally {
    scoped.dispose();
  }
  return { state: final, value };
}

/** Runs the flow's onCrashed hooks in a fresh worker, after the one that ran the flow died. */
export async function runCrashedHooks(flowObj: Flow<Record<string, unknown>, unknown>, run: { id: string; name: string }, message: string): Promise<void> {
  const scope: FlowRunScope = { id: run.id, name: run.name, flowName: flowObj.options.name, parameters: {}, taskCounters: new Map() };
  const ctx = new Ctx(scope, rootController.signal);
  await storage.run(ctx, () => runHooks('onCrashed', hooksOf(flowObj.options.onCrashed), { id: run.id, name: run.name, state: state('Crashed', message) }, ctx.logger));
}

export async function runTask<A extends unknown[], R>(options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>, args: A): Promise<Awaited<R>> {
  const parent = storage.getStore();
  // Outside a flow a task is a plain function call, as in Prefect 3: handy in unit tests of flow code.
  if (!parent) return (await fn(...args)) as Awaited<R>;
  const scope = parent.scope;
  const index = scope.taskCounters.get(options.name) ?? 0;
  scope.taskCounters.set(options.name, index + 1);
  const id = `${idPrefix}-${(nextTaskId++).toString(36)}`;
  const name = `${options.name}-${index}`;
  const ts = Date.now();

  let cacheKey: string | undefined;
  if (options.cacheKey) {
    try {
      const k = options.cacheKey(...args);
      cacheKey = k === undefined ? undefined : `${options.name}:${k}`;
    } catch (e) {
      throw new Error(`cacheKey of task '${options.name}' threw: ${errorMessage(e)}`);
    }
  }
  link().emit({ k: 'task', id, runId: scope.id, name, task: options.name, ts, cacheKey });
  const taskCtx = new Ctx(scope, parent.signal, id, name);

  if (cacheKey !== undefined) {
    const hit = (await link().request({ op: 'cache-get', key: cacheKey })) as { value: unknown } | null;
    if (hit) {
      emitState('task', id, 'Cached', undefined);
      taskCtx.logger.info(`Finished in state Cached() (cache key '${cacheKey}')`);
      return hit.value as Awaited<R>;
    }
  }

  const plan: RetryPlan = {
    retries: options.retries ?? 0,
    delay: options.retryDelaySeconds,
    jitter: options.retryJitterFactor ?? 0,
    condition: options.retryCondition,
  };
  const once = (attemptNo: number): Promise<unknown> => {
    if (options.timeoutSeconds === undefined) {
      emitState('task', id, attemptNo === 1 ? 'Running' : 'Retrying', undefined, { attempt: attemptNo });
      // Cancellation ends the flow run, which abandons its task runs: no per-task race needed here.
      return storage.run(taskCtx, () => Promise.resolve(fn(...args)));
    }
    const scoped = scopedSignal(parent.signal, options.timeoutSeconds, `Task run '${name}'`);
    emitState('task', id, attemptNo === 1 ? 'Running' : 'Retrying', undefined, { attempt: attemptNo, deadline: scoped.deadline });
    return storage.run(new Ctx(scope, scoped.signal, id, name), () => attempt(() => fn(...args), scoped.signal)).finally(scoped.dispose);
  };
  try {
    const value = plan.retries > 0 ? await withRetries('task', id, `Task run '${name}'`, plan, parent.signal, taskCtx.logger, once) : await once(1);
    const json = options.persistResult || cacheKey !== undefined ? toJson(value) : undefined;
    if (options.persistResult && json !== undefined) link().emit({ k: 'result', id, kind: 'task', value: json });
    if (cacheKey !== undefined) {
      const expiresAt = options.cacheExpirationSeconds !== undefined ? Date.now() + options.cacheExpirationSeconds * 1000 : undefined;
      await link().request({ op: 'cache-put', key: cacheKey, value: json, expiresAt });
    }
    const final = emitState('task', id, 'Completed');
    if (options.onCompletion) await storage.run(taskCtx, () => runHooks('onCompletion', hooksOf(options.onCompletion), { id, name, state: final }, taskCtx.logger));
    return value as Awaited<R>;
  } catch (error) {
    // Code that fails because its flow run was cancelled (an aborted fetch) was cancelled, not failed.
    const cause = parent.signal.aborted && parent.signal.reason instanceof CancelledError ? parent.signal.reason : error;
    const [stateName, message] = finalStateFor(cause);
    const final = emitState('task', id, stateName, message);
    if (stateName !== 'Cancelled') taskCtx.logger.error(`Finished in state ${formatState(final)}`);
    if (options.onFailure && stateName !== 'Cancelled') await storage.run(taskCtx, () => runHooks('onFailure', hooksOf(options.onFailure), { id, name, state: final }, taskCtx.logger));
    throw error;
  }
}

export function mapTask<A extends unknown[], R>(
  options: TaskOptions<A>,
  fn: (...args: A) => R | Promise<R>,
  items: Iterable<A[0]>,
  mapOptions: MapOptions = {},
): Promise<Awaited<R>[]> {
  const list = Array.from(items);
  return mapWithLimit(list, mapOptions.concurrency, (item) => runTask(options, fn, [item] as unknown as A));
}
