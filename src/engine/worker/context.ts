/**
 * The run a piece of user code belongs to, carried through its awaits (AsyncLocalStorage): its ids and
 * names, the AbortSignal that fires on cancel or timeout, its logger and key-value store.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { flowRunSource, taskRunSource } from '../logFormat';
import type { GivenInput } from '../records';
import type { KeyValueStore, LogLevel, PauseInfo, RunContext, RunLogger } from '../types';
import type { Reusable } from './checkpoints';
import { emit, home, limits, masker, registerSecret, request } from './hostLink';
import { childController, releaseController } from './signals';
import type { TaskJournal } from './taskJournal';

export interface FlowRunScope {
  id: string;
  name: string;
  flowName: string;
  parameters: Record<string, unknown>;
  /** Where results too large for the journal go. */
  resultsDir: string;
  /** The flow run's attempt now running. */
  attempt: number;
  /** Next index per task name, for `fetch-repo-0`, `fetch-repo-1`, ... (and call identities). */
  taskCounters: Map<string, number>;
  /** Next index per subflow name, for subflow call identities. */
  subflowCounters: Map<string, number>;
  /** Completed calls of earlier attempts, by call key: returned instead of run again. */
  checkpoints: Map<string, Reusable>;
  /** The checkpoints by task and arguments, made when a call's own is not there (takeReusable); undefined again when they change. */
  checkpointsByArgs?: Map<string, Reusable[]>;
  /** Calls completed in this attempt: the checkpoints of the next, if the flow retries. */
  completed: Map<string, Reusable>;
  /** Completed calls of earlier attempts not reused as their arguments could not be hashed: the attempt each completed in, by call key. */
  unhashed: Map<string, number>;
  /** Such calls completed in this attempt: added to `unhashed` for the next, if the flow retries. */
  completedUnhashed: Map<string, number>;
  /** Tasks said to run again (as their arguments could not be compared) in this attempt: said once each. */
  ranAgain?: Set<string>;
  /** Flow-level retries left: completed calls are kept in memory only while there may be a next attempt. */
  retriesLeft: number;
  /** When the run's timeout fires (epoch ms), if it has one: a Running state after a pause says it again to the host. */
  deadline?: number;
  /** Task runs and subflow runs called and not yet ended: any left when the flow returns were not awaited. */
  unsettled: { tasks: number; subflows: number };
  /** pauseFlowRun calls so far in this attempt, for the keys of pauses that have none of their own. */
  pauses: number;
  /** The input each pause of the run was resumed with, by key (earlier attempts', then this process's): not asked again. */
  answered: Map<string, GivenInput>;
  /**
   * A pause whose wait just ran out (`error`, the PauseTimeoutError it threw): recorded once the flow goes on
   * past it (recordTimedOutPause), or its attempt ends by another error (endOfAttemptAfterPause).
   */
  timedOut?: { key: string; ts: number; error: Error };
  /** Tasks whose calls taskInputHash could not hash in this run: said once each. */
  uncached?: Set<string>;
  /** Set for a flow run of its own (not a subflow): ends its attempt Suspended (suspendFlowRun), its process with it. */
  suspend?: (suspension: { message: string; pause: PauseInfo; at: number }) => void;
}

export const storage = new AsyncLocalStorage<Ctx>();

/** Cuts a log line over the limit, saying how much was cut: masked before it is cut (a cut secret would not be found). */
function bounded(message: string): string {
  const max = limits.maxLogLineBytes;
  if (message.length <= max / 4 || Buffer.byteLength(message) <= max) return message;
  const kept = Buffer.from(masker.maskedHead(message, max)).subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
  return `${kept}… (${Buffer.byteLength(message) - Buffer.byteLength(kept)} more bytes cut: log lines are limited to ${max} bytes)`;
}

/** `journal`: the task run's, whose creation must reach the journal before its first line. */
export function makeLogger(runId: string, taskRunId: string | undefined, source: string, journal?: TaskJournal): RunLogger {
  const log = (level: LogLevel, message: unknown): void => {
    const record = { k: 'log' as const, runId, ts: Date.now(), level, source, message: bounded(String(message)) };
    if (taskRunId === undefined) {
      emit(record);
      return;
    }
    journal?.materialize();
    emit({ ...record, taskRunId });
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
  get: async <T>(namespace: string, key: string) => (await request({ op: 'kv-get', namespace, key })) as T | undefined,
  set: async (namespace, key, value) => {
    await request({ op: 'kv-set', namespace, key, value: JSON.parse(JSON.stringify(value ?? null)) as unknown });
  },
};

export class Ctx implements RunContext {
  readonly flowRunId: string;
  readonly flowRunName: string;
  readonly flowName: string;
  readonly parameters: Record<string, unknown>;
  readonly kv = kv;
  private ownLogger?: RunLogger;
  private ownSignal?: AbortController;

  constructor(
    readonly scope: FlowRunScope,
    /** Fires on cancel or this run's timeout. */
    readonly signalSource: AbortSignal,
    readonly taskRunId?: string,
    readonly taskRunName?: string,
    /** A task run's journal: what it logs or records goes out after its creation. */
    readonly journal?: TaskJournal,
  ) {
    this.flowRunId = scope.id;
    this.flowRunName = scope.name;
    this.flowName = scope.flowName;
    this.parameters = scope.parameters;
  }

  /**
   * The signal user code sees: made on first use (most task runs never look), and aborted inside this
   * run's context, so an abort listener can call getRunContext() and log to this run.
   */
  get signal(): AbortSignal {
    this.ownSignal ??= childController(this.signalSource, (fn) => storage.run(this, fn));
    return this.ownSignal.signal;
  }

  /** Lets go of the signal once the run is over (a parent would otherwise keep every child it had). */
  dispose(): void {
    if (this.ownSignal) releaseController(this.signalSource, this.ownSignal);
  }

  // Made on first use: most task runs never log.
  get logger(): RunLogger {
    this.ownLogger ??= makeLogger(this.scope.id, this.taskRunId, this.taskRunName ? taskRunSource(this.taskRunName) : flowRunSource(this.scope.name), this.journal);
    return this.ownLogger;
  }

  get home(): string {
    return home;
  }

  registerSecret(value: string): void {
    registerSecret(value);
  }

  saveCredentials(service: string, patch: Record<string, unknown>): void {
    emit({ k: 'credentials', service, patch: JSON.parse(JSON.stringify(patch)) as Record<string, unknown> }, true);
  }
}

export function currentContext(what: string): RunContext {
  const ctx = storage.getStore();
  if (!ctx) throw new Error(`${what} was called outside a flow or task run; call it from inside a flow`);
  return ctx;
}

/** The context a line written outside any run (module top level, stray timers) belongs to: the root run. */
let fallbackCtx: Ctx | undefined;

export function setFallbackContext(ctx: Ctx): void {
  fallbackCtx ??= ctx;
}

/** Forgets the fallback: the standby's rehearsal run must not be where the real run's stray lines go. */
export function clearFallbackContext(): void {
  fallbackCtx = undefined;
}

/**
 * The current run's logger. Callbacks that lose the async context (an AbortSignal listener runs in the
 * context of whoever aborted) still log to the flow run rather than failing.
 */
export function currentLogger(): RunLogger {
  return (storage.getStore() ?? fallbackCtx ?? currentContext('getRunLogger()')).logger;
}

/** The run whose log what is printed now goes to, if any yet. */
export function currentOwner(): Ctx | undefined {
  return storage.getStore() ?? fallbackCtx;
}

/** The real stdout and stderr, kept before console capture replaces their `write`. */
const rawStdoutWrite = process.stdout.write.bind(process.stdout);
const rawStderrWrite = process.stderr.write.bind(process.stderr);

/**
 * A line with no run to go to (the flow file's top level as it is imported): to the real stdout (INFO,
 * DEBUG) or stderr, which the host keeps for the run's log, at INFO and WARNING (runner.ts). `ctx`: the
 * run the line was written in, when it is logged later (a held line: partialLine.ts); when none, whichever
 * run there is by then.
 */
export function logOutsideRun(level: LogLevel, message: string, ctx: Ctx | undefined = currentOwner()): void {
  if (ctx) ctx.logger.log(level, message);
  else (level === 'INFO' || level === 'DEBUG' ? rawStdoutWrite : rawStderrWrite)(`${message}\n`);
}
