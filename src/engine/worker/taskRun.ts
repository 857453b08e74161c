/**
 * Running a task: a task run per call inside a flow (a plain call outside one), with retries, a timeout
 * that is final, the result cache, and `map` over items.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { TaskOptions } from '../types';
import { mapEach, mapWithLimit, type MapProgress, type StartCall } from '../concurrency';
import { keyHash, taskCacheKey } from '../resultCache';
import { isTaskInputHash, sourceHash } from '../taskInputHash';
import { SerializeError, parseSerialized } from '../serializer';
import { formatState } from '../states';
import { StoreWriteError } from '../storeErrors';
import { formatDuration } from '../durationText';
import { callIdentity, restore, takeReusable, unhashableWhy, unreadableWhy } from './checkpoints';
import { withConcurrencySlots } from './concurrencySlots';
import { withBoundedHeapGrowth } from './heapGrowth';
import { Ctx, currentLogger, storage, type FlowRunScope } from './context';
import { recordTimedOutPause } from './timedOutPause';
import { customRunName } from './customRunName';
import { errorMessage, failureOf } from './errors';
import { OWN_DIR, finalStateFor, graceFor, hooksOf, runHooks, unsettledAfterTimeout } from './flowRun';
import { limits, request } from './hostLink';
import { mapCalls } from './mapArguments';
import { keepText, keepValue, type Kept } from './results';
import { withRetries, type RetryPlan } from './retries';
import { afterStore, storeAnswered, storeWaiting } from './storeWait';
import { CancelledError, attempt, scopedSignal } from './signals';
import { TaskJournal, type TaskExtras } from './taskJournal';

/** Task run ids: unique per worker process and short, since a big map sends tens of thousands. */
const idPrefix = randomUUID().slice(0, 8);
let nextTaskId = 0;

/** What a quick task run calls when it has settled: `slot` is handed back as it was given (a map's item index). */
export type Settled<R> = (slot: number, value: R) => void;

/** `mapped`: one call of a `task.map`, which says once for all its task runs that they completed (see mapTask). */
export function runTask<A extends unknown[], R>(options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>, args: A, mapped = false): Promise<Awaited<R>> {
  const parent = storage.getStore();
  // Outside a flow a task is a plain function call, as in Prefect 3: handy in unit tests of flow code.
  if (!parent) return plainCall(fn, args);
  if (isQuick(options, parent)) return new Promise((resolve, reject) => quickRun(parent, options, fn, args, mapped, 0, (_, value) => resolve(value), reject));
  return fullRun(parent, options, fn, args, mapped);
}

async function plainCall<A extends unknown[], R>(fn: (...args: A) => R | Promise<R>, args: A): Promise<Awaited<R>> {
  return (await fn(...args)) as Awaited<R>;
}

/**
 * The common task run — no cache key, retries, timeout, limited tags or completion hooks, and no earlier
 * attempt whose calls it could reuse — is one call in its context, followed by callbacks rather than
 * awaited: a big map runs tens of thousands, and every promise of a task run pays Node's async-context
 * hooks and the garbage collector (an `async` frame, its `await` and the map's `then` were three more
 * promises a task run). A cancel ends the flow run, which waits for (or abandons) its task runs: no
 * per-task race here.
 */
function isQuick(options: TaskOptions<never>, parent: Ctx): boolean {
  return options.cacheKey === undefined && options.timeoutSeconds === undefined && !options.retries && !options.tags?.length && options.onCompletion === undefined && parent.scope.checkpoints.size === 0 && parent.scope.unhashed.size === 0;
}

/** The next task run of `options.name` in this flow run: its index, id and name. */
function nextTaskRun<A extends unknown[]>(scope: FlowRunScope, options: TaskOptions<A>, args: A): { index: number; id: string; name: string } {
  const taskName = options.name;
  if (scope.timedOut !== undefined) recordTimedOutPause(scope);
  const index = scope.taskCounters.get(taskName) ?? 0;
  // Named before it counts: a name that cannot be given makes no task run.
  const name = options.taskRunName === undefined ? `${taskName}-${index}` : customRunName(options.taskRunName, args, { option: 'taskRunName', owner: options.name });
  scope.taskCounters.set(taskName, index + 1);
  // Until it ends (quickRun, fullRun): one still going when the flow returns was not awaited.
  scope.unsettled.tasks++;
  return { index, id: `${idPrefix}-${(nextTaskId++).toString(36)}`, name };
}

function labelOf(name: string): string {
  return `Task run '${name}'`;
}

/** Runs a quick task run (isQuick) and calls `ok(slot, value)` or `fail(error)` once it has ended. */
function quickRun<A extends unknown[], R>(parent: Ctx, options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>, args: A, mapped: boolean, slot: number, ok: Settled<Awaited<R>>, fail: (error: unknown) => void): void {
  // Called again once the store answers — or the run is cancelled or timed out: then it must not wait again
  // (afterStore lets an aborted run's start go at once, and the two called each other till the stack overflowed).
  if (storeWaiting() && !stoppedBeforeStart(parent)) return afterStore(parent.scope, parent.signalSource, () => quickRun(parent, options, fn, args, mapped, slot, ok, fail));
  const scope = parent.scope;
  const { index, id, name } = nextTaskRun(scope, options, args);
  const keep = options.persistResult !== false;
  const call = keep ? callIdentity(options.name, index, args) : undefined;
  const extras: TaskExtras = {};
  if (options.tags !== undefined) extras.tags = options.tags;
  if (call !== undefined) extras.call = call;
  // Created and started in the same moment: one reading of the clock for both.
  const now = Date.now();
  const journal = new TaskJournal(scope.id, id, name, options.name, now, extras);
  const taskCtx = new Ctx(scope, parent.signalSource, id, name, journal);
  const failed = (error: unknown): void => {
    taskFailed(parent, options, error, journal, taskCtx).then(undefined, (e: unknown) => {
      scope.unsettled.tasks--;
      fail(e);
    });
  };
  const finish = (value: unknown): void => {
    try {
      let kept: Kept | undefined;
      if (keep) {
        kept = keepTaskResult(value, name, scope.resultsDir, id);
        if (kept.kind === 'dropped') taskCtx.logger.warning(kept.note);
        // Kept for the flow's own next attempt, when it has one to come (a resume reads the journal instead).
        else if (call?.argsHash !== undefined && scope.retriesLeft > 0) scope.completed.set(call.key, { argsHash: call.argsHash, attempt: scope.attempt, taskRunId: id, live: value });
        else if (call !== undefined && call.argsHash === undefined && scope.retriesLeft > 0) scope.completedUnhashed.set(call.key, scope.attempt);
      }
      const final = journal.end('Completed', kept);
      if (!mapped) taskCtx.logger.info(`Finished in state ${formatState(final)}`);
    } catch (error) {
      failed(error);
      return;
    }
    taskCtx.dispose();
    scope.unsettled.tasks--;
    ok(slot, value as Awaited<R>);
  };
  if (stoppedBeforeStart(parent)) {
    failed(parent.signalSource.reason);
    return;
  }
  journal.begin(1, undefined, now);
  let value: unknown;
  try {
    value = storage.run(taskCtx, fn, ...args);
  } catch (error) {
    journal.ran();
    failed(error);
    return;
  }
  journal.ran();
  if (value instanceof Promise) value.then(finish, failed);
  else if (isThenable(value)) Promise.resolve(value).then(finish, failed);
  else finish(value);
}

/**
 * A task called once its flow run was cancelled or timed out — by code that goes on in the grace period,
 * ignoring the signal — does not start: it ends as its flow run did (Cancelled, TimedOut), so no new side
 * effect begins after the run was told to stop.
 */
function stoppedBeforeStart(parent: Ctx): boolean {
  return parent.signalSource.aborted;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * The key a task's `cacheKey` gave, as text; undefined (or null) caches nothing. Anything else but a string
 * or a number is refused: as text every object is `[object Object]` and every promise (an async cacheKey)
 * `[object Promise]`, one key for all calls, which returned one call's result for every other.
 */
function cacheKeyText(task: string, key: unknown): string | undefined {
  if (key === undefined || key === null) return undefined;
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  if (isThenable(key)) void Promise.resolve(key).catch(() => undefined); // Refused either way: its end says nothing more.
  const what = isThenable(key) ? 'a promise: cacheKey must return the key itself, not be async' : typeof key === 'object' ? 'an object' : `a ${typeof key}`;
  throw new TypeError(`cacheKey of task '${task}' must give a string (or undefined to cache nothing), got ${what}`);
}

/** Any other task run: a cache key, retries, a timeout, limited tags, hooks, or calls it may reuse. */
async function fullRun<A extends unknown[], R>(parent: Ctx, options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>, args: A, mapped: boolean): Promise<Awaited<R>> {
  if (storeWaiting()) await storeAnswered(parent.scope, parent.signalSource);
  const scope = parent.scope;
  const { index, id, name } = nextTaskRun(scope, options, args);
  try {
    const runId = scope.id;

    let cacheKey: string | undefined;
    if (options.cacheKey) {
      let k: unknown;
      try {
        k = options.cacheKey(...args);
      } catch (e) {
        // Arguments taskInputHash cannot hash (a function, a class instance): the call is not cached, said once a run.
        if (!(e instanceof Error && e.name === 'UnhashableArguments')) throw new Error(`cacheKey of task '${options.name}' threw: ${errorMessage(e)}`);
        const uncached = (scope.uncached ??= new Set());
        if (!uncached.has(options.name)) {
          uncached.add(options.name);
          parent.logger.warning(`Task '${options.name}' is not cached when ${e.message}`);
        }
      }
      const key = cacheKeyText(options.name, k);
      // taskInputHash's key holds the task's code too: a result of other code is not this code's.
      if (key !== undefined) cacheKey = taskCacheKey(options.name, key, isTaskInputHash(options.cacheKey) ? sourceHash(fn) : undefined);
    }
    const keep = options.persistResult !== false;
    const call = keep ? callIdentity(options.name, index, args) : undefined;
    let reusable = call && scope.checkpoints.size > 0 ? takeReusable(scope, call, args) : undefined;
    // A checkpoint that cannot be read back (its result file gone or damaged): the call runs again, said on its
    // task run, rather than every resume failing the run on it.
    let reused: unknown;
    let unreadable: string | undefined;
    if (reusable) {
      try {
        reused = restore(reusable, scope.resultsDir);
      } catch (e) {
        unreadable = `Task '${options.name}' runs again: the result this call completed with in attempt ${reusable.attempt} cannot be read back (${unreadableWhy(e, reusable, scope.resultsDir)})`;
        reusable = undefined;
      }
    }
    // One object, filled in place: a big map makes one per task run.
    const extras: TaskExtras = {};
    if (cacheKey !== undefined) extras.cacheKey = cacheKey;
    if (options.tags !== undefined) extras.tags = options.tags;
    if (call !== undefined) extras.call = call;
    if (reusable) extras.reusedFrom = { attempt: reusable.attempt, taskRunId: reusable.taskRunId };
    const journal = new TaskJournal(runId, id, name, options.name, Date.now(), extras);
    const taskCtx = new Ctx(scope, parent.signalSource, id, name, journal);
    if (stoppedBeforeStart(parent)) return await taskFailed(parent, options, parent.signalSource.reason, journal, taskCtx);

    if (reusable && call) {
      // Completed in an earlier attempt with the same arguments: its result, without running it again.
      journal.end('Cached', undefined, `reused from attempt ${reusable.attempt}`);
      scope.completed.set(call.key, reusable);
      return reused as Awaited<R>;
    }
    if (unreadable !== undefined) taskCtx.logger.warning(unreadable);

    if (cacheKey !== undefined && options.refreshCache !== true) {
      // Only the key's hash leaves the worker: a key may hold a secret.
      const hit = (await request({ op: 'cache-get', key: keyHash(cacheKey) })) as string | null;
      let value: unknown;
      let readable = hit !== null && hit !== undefined;
      if (readable) {
        try {
          value = parseSerialized(hit!);
        } catch (e) {
          // A damaged entry is no hit: the task runs, and what it returns replaces the entry. Said as a
          // damaged checkpoint is (unreadableWhy), without the parser's class name; "entry", as the cache
          // may be a file or a Postgres row, and the worker is not told which.
          readable = false;
          taskCtx.logger.warning(`The cached result of task '${options.name}' cannot be read back (its entry is damaged: ${e instanceof Error ? e.message : errorMessage(e)}): the task runs, and its result replaces it`);
        }
      }
      if (readable) {
        // Kept with the run as a result it computed is: a resume reuses it even once the cache has
        // expired or changed, so the calls that used it see the same value and do not run again.
        const kept = keep ? keepCachedText(hit!, name, scope.resultsDir, id) : undefined;
        if (kept !== undefined && call?.argsHash !== undefined && scope.retriesLeft > 0) scope.completed.set(call.key, { argsHash: call.argsHash, attempt: scope.attempt, taskRunId: id, live: value });
        const final = journal.end('Cached', kept);
        // Not its key (it may hold a secret: only its hash is kept); a map's hits are counted in its one line.
        if (!mapped) taskCtx.logger.info(`Finished in state ${formatState(final)}`);
        return value as Awaited<R>;
      }
    }

    if (call !== undefined && call.argsHash === undefined) warnRanAgain(scope, options.name, call.key, args, taskCtx);
    try {
      let value: unknown;
      if (options.timeoutSeconds === undefined && !options.retries && !options.tags?.length) {
        journal.begin(1);
        let running: R | Promise<R>;
        try {
          running = storage.run(taskCtx, fn, ...args);
        } finally {
          journal.ran();
        }
        value = await running;
      } else {
        value = await attempts(options, fn, args, { parent, journal, taskCtx, label: labelOf(name) });
      }
      let kept: Kept | undefined;
      if (keep || cacheKey !== undefined) {
        kept = keepTaskResult(value, name, scope.resultsDir, id);
        if (keep) {
          if (kept.kind === 'dropped') taskCtx.logger.warning(kept.note);
          // Kept for the flow's own next attempt, when it has one to come (a resume reads the journal instead).
          if (call?.argsHash !== undefined && kept.kind !== 'dropped' && scope.retriesLeft > 0) scope.completed.set(call.key, { argsHash: call.argsHash, attempt: scope.attempt, taskRunId: id, live: value });
          else if (call !== undefined && call.argsHash === undefined && scope.retriesLeft > 0) scope.completedUnhashed.set(call.key, scope.attempt);
        }
        if (cacheKey !== undefined && kept.kind !== 'dropped') {
          const expiresAt = options.cacheExpirationSeconds !== undefined ? Date.now() + options.cacheExpirationSeconds * 1000 : undefined;
          try {
            await request({ op: 'cache-put', key: keyHash(cacheKey), serialized: kept.text, task: options.name, runId, ...(expiresAt !== undefined ? { expiresAt } : {}) });
          } catch (e) {
            // The cache only saves later runs work: a result it cannot keep is no reason to fail this one.
            taskCtx.logger.warning(`The result of task '${options.name}' was not cached (${errorMessage(e)}): the run goes on with it, and the next run runs the task again`);
          }
        }
      }
      const final = journal.end('Completed', keep ? kept : undefined);
      if (!mapped) taskCtx.logger.info(`Finished in state ${formatState(final)}`);
      if (options.onCompletion) await storage.run(taskCtx, () => runHooks('onCompletion', hooksOf(options.onCompletion), { id, name, state: final }, taskCtx.logger));
      taskCtx.dispose();
      return value as Awaited<R>;
    } catch (error) {
      return taskFailed(parent, options, error, journal, taskCtx);
    }
  } finally {
    scope.unsettled.tasks--;
  }
}

/**
 * A call an earlier attempt completed that runs again, as its arguments (a function, say) could not be
 * hashed: reusing it by its position alone would hand a call with other arguments their result. Said on
 * the task run, once per task in an attempt (a map's items share the reason).
 */
function warnRanAgain(scope: FlowRunScope, task: string, key: string, args: readonly unknown[], taskCtx: Ctx): void {
  const earlier = scope.unhashed.get(key);
  if (earlier === undefined) return;
  const said = (scope.ranAgain ??= new Set());
  if (said.has(task)) return;
  said.add(task);
  taskCtx.logger.warning(`Task '${task}' ran again: its arguments cannot be compared with attempt ${earlier}'s (${unhashableWhy(args)}); a task whose result should be reused on resume takes data arguments`);
}

/** A task run's failure (or cancel): its final state, its log line and failure hooks; rejects with `error`. */
async function taskFailed(parent: Ctx, options: TaskOptions<never>, error: unknown, journal: TaskJournal, taskCtx: Ctx): Promise<never> {
  try {
    // Code that fails because its flow run was cancelled (an aborted fetch) was cancelled, not failed.
    const cause = parent.signalSource.aborted && parent.signalSource.reason instanceof CancelledError ? parent.signalSource.reason : error;
    const [stateName, message] = finalStateFor(cause, { label: labelOf(taskCtx.taskRunName!), kind: 'Task run' });
    const final = journal.state(stateName, message, stateName === 'Failed' ? { failure: failureOf(error, OWN_DIR) } : undefined);
    if (stateName !== 'Cancelled') taskCtx.logger.error(`Finished in state ${formatState(final)}`);
    if (options.onFailure && stateName !== 'Cancelled') await storage.run(taskCtx, () => runHooks('onFailure', hooksOf(options.onFailure), { id: taskCtx.taskRunId!, name: taskCtx.taskRunName!, state: final }, taskCtx.logger));
    throw error;
  } finally {
    taskCtx.dispose();
  }
}

interface Attempting {
  parent: Ctx;
  journal: TaskJournal;
  taskCtx: Ctx;
  label: string;
}

/** A task run's attempts: retries, each attempt's timeout, and the slots of its limited tags. */
function attempts<A extends unknown[], R>(options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>, args: A, at: Attempting): Promise<unknown> {
  const { parent, journal, taskCtx, label } = at;
  const { scope, signalSource } = parent;
  const id = taskCtx.taskRunId!;
  const plan: RetryPlan = { retries: options.retries ?? 0, delay: options.retryDelaySeconds, jitter: options.retryJitterFactor ?? 0, condition: options.retryCondition };
  const attemptOnce = (attemptNo: number): Promise<unknown> => {
    if (options.timeoutSeconds === undefined) {
      journal.begin(attemptNo);
      try {
        return storage.run(taskCtx, () => Promise.resolve(fn(...args)));
      } finally {
        journal.ran();
      }
    }
    const scoped = scopedSignal(signalSource, options.timeoutSeconds, label, (f) => storage.run(taskCtx, f));
    journal.begin(attemptNo, scoped.deadline!);
    // Its worker is killed next: the task run's end goes on record and in its log now, as any task run's does.
    const onUnsettled = unsettledAfterTimeout((message) => {
      const own = message.startsWith(`${label} `) ? `Task run ${message.slice(label.length + 1)}` : message;
      taskCtx.logger.error(`Finished in state ${formatState(journal.state('TimedOut', own))}`);
    });
    const attemptCtx = new Ctx(scope, scoped.signal, id, taskCtx.taskRunName, journal);
    return storage.run(attemptCtx, () => attempt(() => fn(...args), scoped.signal, graceFor, onUnsettled)).finally(() => {
      attemptCtx.dispose();
      scoped.dispose();
    });
  };
  // Each attempt holds its limited tags' slots (none across a retry's wait), as in Prefect.
  const once = (attemptNo: number): Promise<unknown> => {
    // The host may show the task run AwaitingConcurrencySlot while it waits: its creation goes out first.
    if (options.tags && options.tags.length > 0) journal.materialize();
    return withConcurrencySlots(scope.id, id, options.tags, signalSource, () => attemptOnce(attemptNo));
  };
  return plan.retries > 0 ? storage.run(taskCtx, () => withRetries(plan, signalSource, taskCtx.logger, (n, message) => journal.state(n, message), once)) : once(1);
}

/**
 * A result the task asked to keep (persistResult, cacheKey) must be keepable: otherwise the task fails,
 * saying where in the value (a plain Error: the message says it all, no class name in front of it).
 */
function keepTaskResult(value: unknown, name: string, resultsDir: string, id: string): Kept {
  try {
    return keepValue(value, labelOf(name), resultsDir, `${id}.dv`);
  } catch (e) {
    if (e instanceof SerializeError) {
      throw new Error(`${labelOf(name)} returned a value that cannot be kept: ${e.message}. Return plain data, or set persistResult: false (and no cacheKey) on the task to pass it on without keeping it (a resumed run then runs it again)`);
    }
    // Its file refused by the system (a full disk, a quota): said as the store's, not as the task's own error.
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string' && err.syscall !== undefined) {
      throw new Error(`${labelOf(name)} returned a result Flowdeck could not keep: ${StoreWriteError.from(e, err.path ?? join(resultsDir, `${id}.dv`)).message}${err.code === 'ENOSPC' || err.code === 'EDQUOT' ? '. Free some space, then resume the run: its task runs that completed are not run again' : ''}`);
    }
    throw e;
  }
}

/** A cache hit's stored text, kept as the task run's result (keepTaskResult's, for a value the cache gave). */
function keepCachedText(text: string, name: string, resultsDir: string, id: string): Kept | undefined {
  try {
    const kept = keepText(text, labelOf(name), resultsDir, `${id}.dv`);
    return kept.kind === 'dropped' ? undefined : kept;
  } catch {
    // Its file refused (a full disk): the hit stands, without a checkpoint (a resume asks the cache again).
    return undefined;
  }
}

/**
 * How many task runs of a map without `concurrency` are started and unfinished at a time. More would
 * change nothing for the flow (they all run, a failure rejects the map at once) but memory and CPU: a map
 * over a million items would hold a million task runs' state together, and the garbage collector copies
 * every unfinished task run's state again and again. Task runs that settle without the event loop turning
 * (quick work) keep to MAP_WINDOW: each young-generation collection copied 1,024 unfinished no-op task runs
 * (8–10 ms a collection), and 256 cost ~20% less of the worker's CPU per task in `npm run bench` (64 and 16
 * no less than 256). Task runs that wait (I/O, timers) let the loop turn, and then up to MAP_WIDE_WINDOW
 * wait together, as before (4,096 at a time cost 20% more CPU and ~20 MB more memory than 1,024).
 */
export const MAP_WINDOW = 256;
export const MAP_WIDE_WINDOW = 1024;

/**
 * `task.map(...)`: its arguments are checked and turned into calls by mapCalls, whose types match the
 * task's. A completed mapped task run logs no line of its own — a log record per task run made a map of
 * 20,000 no-op tasks cost about 40% more CPU (`npm run bench`; README, "Limits") — so the map says it
 * once for all; failures are still logged per task run.
 */
export async function mapTask<A extends unknown[], R>(options: TaskOptions<A>, fn: (...args: A) => R | Promise<R>, given: readonly unknown[]): Promise<Awaited<R>[]> {
  const { count, argsAt, options: mapOptions } = mapCalls(options.name, given);
  const call = (i: number): Promise<Awaited<R>> => runTask(options, fn, argsAt(i) as A, true);
  const parent = storage.getStore();
  const quick = parent !== undefined && isQuick(options, parent);
  const start: StartCall<Awaited<R>> = (i, ok, fail) => {
    if (quick) quickRun(parent, options, fn, argsAt(i) as A, true, i, ok, fail);
    else call(i).then((value) => ok(i, value), fail);
  };
  const progress: MapProgress = { settled: 0, failed: 0 };
  const counted = (i: number): Promise<Awaited<R>> =>
    call(i).then(
      (value) => {
        progress.settled++;
        return value;
      },
      (e: unknown) => {
        progress.settled++;
        progress.failed++;
        throw e;
      },
    );
  const run = (): Promise<Awaited<R>[]> => (mapOptions.concurrency === undefined ? mapEach(count, MAP_WINDOW, start, MAP_WIDE_WINDOW, progress) : mapWithLimit(count, mapOptions.concurrency, counted));
  const reporting = parent ? reportProgress(options.name, count, progress) : undefined;
  try {
    const values = await (count > MAP_WIDE_WINDOW ? withBoundedHeapGrowth(run) : run());
    if (parent) currentLogger().info(`Finished mapping task '${options.name}': ${count} task run${count === 1 ? '' : 's'} completed`);
    return values;
  } finally {
    clearInterval(reporting);
  }
}

/**
 * A long map says how far it is, every `limits.mapProgressMs` (FLOWDECK_MAP_PROGRESS_SECONDS): its completed
 * task runs log no line of their own, so a map of slow task runs was otherwise silent until its end. The
 * timer runs in the flow's context, so the line is the flow's (or the task's that mapped).
 */
function reportProgress(task: string, count: number, progress: MapProgress): NodeJS.Timeout {
  const began = Date.now();
  const timer = setInterval(() => {
    const failed = progress.failed > 0 ? `, ${progress.failed.toLocaleString('en-US')} failed` : '';
    const percent = Math.floor((progress.settled / count) * 100);
    currentLogger().info(`Mapping task '${task}': ${progress.settled.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} task runs finished (${percent}%${failed}) after ${formatDuration(Date.now() - began)}`);
  }, limits.mapProgressMs);
  timer.unref();
  return timer;
}
