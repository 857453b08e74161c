/**
 * Running a flow: the root run when the host says start, or a subflow when a flow is called inside a
 * run. Every outcome is a state: a flow run never throws out of `executeFlowRun`.
 */
import type { Flow, Hook, HookInfo, RunLogger } from '../types';
import { checkDeclarations, validateParameters } from '../parameters';
import { secretParameterValues } from '../secretParameters';
import type { ResumePlan, SubflowReply } from '../protocol';
import type { CallIdentity, PauseInfo } from '../records';
import { SerializeError } from '../serializer';
import { formatState, state, type Failure, type State, type StateName } from '../states';
import { flushProgress, noteEarlierArtifactKeys } from './artifacts';
import { callIdentity, checkpointMap, restore, takeReusable, unreadableWhy } from './checkpoints';
import { flowRunNameOf } from './customRunName';
import { Ctx, setFallbackContext, storage, type FlowRunScope } from './context';
import { endOfAttemptAfterPause, recordTimedOutPause } from './timedOutPause';
import { errorMessage, errorReport, failureOf, isExpected } from './errors';
import { emit, flush, limits, masker, registerSecret, request } from './hostLink';
import { killOwnGroup } from './ownGroup';
import { flushOutput } from './outputCapture';
import { keepValue, sendResult } from './results';
import { withRetries, type RetryPlan } from './retries';
import { recordedSubflowParameters } from './subflowParameters';
import { CancelledError, TimeoutError, attempt, rootController, scopedSignal } from './signals';
import { storeAnswered, storeWaiting } from './storeWait';

/** Flowdeck's own code lives next to the worker bundle: its frames are folded in stacks. */
export const OWN_DIR = __dirname;

/** A subflow run that did not complete, as the flow run that awaited it gets it. */
export class FlowRunError extends Error {
  override readonly name = 'FlowRunError';
  constructor(
    message: string,
    readonly state: State,
    /** The subflow run's id: the flow run this fails records it (State.subflowRunId). */
    readonly runId: string,
  ) {
    super(message);
  }
}

/** What ends a suspended attempt: no error of the flow's (its code never sees it). */
const SUSPENDED = Symbol('suspended');

export interface FlowOutcome {
  state: State;
  value?: unknown;
}

export function emitFlowState(runId: string, name: StateName, message?: string, options: { attempt?: number; deadline?: number; failure?: Failure; pause?: PauseInfo; subflowRunId?: string; at?: number } = {}): State {
  const { at, ...extra } = options;
  const s = state(name, message, at ?? Date.now(), extra.failure);
  if (extra.subflowRunId !== undefined) s.subflowRunId = extra.subflowRunId;
  const record = { k: 'state' as const, runId, name, ts: s.timestamp, ...(message !== undefined ? { message } : {}), ...extra };
  // Flow states go out at once: the host shows them and enforces deadlines from them.
  emit(record, true);
  return s;
}

/**
 * The final state for an error, in the words of the run it ends: its log lines already name it, so a
 * message about the run itself (`Task run 'x-0' exceeded timeout…`) says just `Task run exceeded
 * timeout…`, as Prefect does. The error keeps the name for the runs it travels up to.
 */
export function finalStateFor(error: unknown, own: { label: string; kind: 'Task run' | 'Flow run' }): [StateName, string] {
  const [name, message]: [StateName, string] = error instanceof TimeoutError ? ['TimedOut', error.message] : error instanceof CancelledError ? ['Cancelled', error.message] : ['Failed', error instanceof FlowRunError ? error.message : errorMessage(error)];
  return [name, message.startsWith(`${own.label} `) ? `${own.kind} ${message.slice(own.label.length + 1)}` : message];
}

/** How long code gets to stop after its signal fired: the timeout grace, or part of the cancel grace (hooks need the rest). */
export function graceFor(reason: unknown): number {
  return reason instanceof TimeoutError ? limits.timeoutGraceMs : Math.max(0, Math.floor(limits.cancelGraceMs * 0.6));
}

/**
 * Code that ignored its timeout and is still running after the grace must never act again: the worker
 * records why and kills its own process group (the host records the runs it leaves TimedOut).
 */
export function unsettledAfterTimeout(onRecord?: (message: string) => void) {
  return (reason: unknown): void => {
    if (!(reason instanceof TimeoutError)) return;
    const message = `${reason.message} and did not stop within ${limits.timeoutGraceMs / 1000} s; its worker process was killed, so it can have no further effect`;
    onRecord?.(message);
    emit({ k: 'fatal', message, state: 'TimedOut' }, true);
    flush();
    killOwnGroup();
  };
}

export function hooksOf(h: Hook[] | Hook | undefined): Hook[] {
  return h === undefined ? [] : Array.isArray(h) ? h : [h];
}

export async function runHooks(kind: string, hooks: Hook[], info: HookInfo, logger: RunLogger): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook(info);
    } catch (e) {
      logger.error(`${kind} hook '${hook.name || 'anonymous'}' failed: ${errorMessage(e)}`);
    }
  }
}

/** Runs a flow called inside a run: a subflow run of its own, linked to its parent. */
export async function runFlow<P extends Record<string, unknown>, R>(flowObj: Flow<P, R>, parameters: P): Promise<Awaited<R>> {
  const parent = storage.getStore();
  if (!parent) {
    throw new Error(`flow '${flowObj.options.name}' was called directly; run it with \`flowdeck run\` or from VS Code, or call it from inside another flow to make it a subflow`);
  }
  const name = flowObj.options.name;
  const declarations = checkDeclarations(name, flowObj.options.parameters);
  // Before anything quotes them: the subflow run's parameter error, its records, the host's.
  for (const value of secretParameterValues(declarations, parameters)) registerSecret(value);
  const validated = validateParameters(name, declarations, parameters, { mask: (t) => masker.mask(t) });
  for (const value of secretParameterValues(declarations, validated)) registerSecret(value);
  const scope = parent.scope;
  if (scope.timedOut !== undefined) recordTimedOutPause(scope);
  const n = scope.subflowCounters.get(name) ?? 0;
  scope.subflowCounters.set(name, n + 1);
  const call = callIdentity(`flow:${name}`, n, [validated], true);
  // A retry of the parent (its flow's `retries`) is given what its earlier attempt's same call completed, as
  // a resume is: the subflow, and the task runs in it, do not run again.
  const earlier = call.argsHash !== undefined ? takeReusable(scope, call, [validated]) : undefined;
  if (earlier !== undefined && 'live' in earlier && earlier.argsHash === call.argsHash) {
    scope.completed.set(call.key, earlier);
    parent.logger.info(`Reused subflow run '${earlier.name}' for flow '${name}' (completed in attempt ${earlier.attempt})`);
    return earlier.live as Awaited<R>;
  }
  scope.unsettled.subflows++;
  try {
    // Its run is created by the host in the store: not while the store does not confirm the run's records
    // (storeWait.ts), as a task run's start. A cancel or timeout of the run meanwhile ends the call unstarted.
    if (storeWaiting()) {
      await storeAnswered(scope, parent.signalSource);
      if (parent.signalSource.aborted) throw parent.signalSource.reason;
    }
    return await subflowRun(flowObj, parent, name, validated, call);
  } finally {
    scope.unsettled.subflows--;
  }
}

/** The subflow call `call`: reused from an earlier attempt, or run here to its end. */
async function subflowRun<P extends Record<string, unknown>, R>(flowObj: Flow<P, R>, parent: Ctx, name: string, validated: Record<string, unknown>, call: CallIdentity): Promise<Awaited<R>> {
  let run = (await request({
    op: 'subflow',
    parentRunId: parent.flowRunId,
    ...(parent.taskRunId !== undefined ? { parentTaskRunId: parent.taskRunId } : {}),
    flowName: name,
    parameters: recordedSubflowParameters(validated),
    call,
    // Named before its run is created: a name that cannot be given fails the call and makes no run.
    ...(flowObj.options.flowRunName !== undefined ? { runName: masker.mask(flowRunNameOf(flowObj.options, validated)) } : {}),
    // The subflow's own tags (its run carries its parent's too).
    ...(flowObj.options.tags !== undefined && flowObj.options.tags.length > 0 ? { tags: [...flowObj.options.tags] } : {}),
  })) as SubflowReply;
  // An earlier attempt completed this very call: its result, without running the subflow again — or, when
  // that result cannot be read back (its file gone or damaged), the subflow run again from its checkpoints,
  // rather than every resume failing the parent on it.
  if (run.reused) {
    const reused = run.reused;
    try {
      const value = restore(reused, run.resultsDir) as Awaited<R>;
      parent.logger.info(`Reused subflow run '${run.name}' for flow '${name}' (completed in attempt ${reused.attempt})`);
      // Kept for the parent's own next attempt, should it retry: the host hands a run back once an execution.
      keepForRetry(parent.scope, call, { attempt: reused.attempt, taskRunId: run.id, live: value, name: run.name });
      return value;
    } catch (e) {
      run = (await request({ op: 'subflow-unreadable', parentRunId: parent.flowRunId, runId: run.id, why: unreadableWhy(e, reused, run.resultsDir) })) as SubflowReply;
    }
  }
  const outcome = await executeFlowRun(flowObj, run, validated, parent.signalSource, run.resume);
  if (outcome.state.type !== 'COMPLETED') {
    // A subflow failed by a subflow of its own has a message of ours, on one line: quoted again at each level
    // (its backslashes doubled), a chain of 100 nested runs would need 2^100 characters; said as it is, it grows by a line's length.
    const ended = outcome.state.subflowRunId !== undefined && outcome.state.message ? `${outcome.state.name} (${outcome.state.message})` : formatState(outcome.state);
    throw new FlowRunError(`Subflow run '${run.name}' ended in state ${ended}`, outcome.state, run.id);
  }
  // Kept in memory for the parent's next attempt, should it retry.
  keepForRetry(parent.scope, call, { attempt: parent.scope.attempt, taskRunId: run.id, live: outcome.value, name: run.name });
  return outcome.value as Awaited<R>;
}

/** A completed subflow call's result, for the parent's next attempt when it has one to come. */
function keepForRetry(scope: FlowRunScope, call: CallIdentity, done: { attempt: number; taskRunId: string; live: unknown; name: string }): void {
  if (call.argsHash !== undefined && scope.retriesLeft > 0) scope.completed.set(call.key, { argsHash: call.argsHash, ...done });
}

/**
 * Runs one flow run to a final state. A resumed run (`resume`) starts at its new attempt and returns the
 * completed calls of earlier attempts instead of running them; so does each of its own retries.
 */
export async function executeFlowRun(
  flowObj: Pick<Flow<Record<string, unknown>, unknown>, 'options' | 'fn'> | Pick<Flow<never, unknown>, 'options' | 'fn'>,
  run: { id: string; name: string; resultsDir: string },
  parameters: Record<string, unknown>,
  parentSignal: AbortSignal = rootController.signal,
  resume?: ResumePlan,
  own = false,
): Promise<FlowOutcome> {
  const options = flowObj.options;
  const fn = flowObj.fn as (p: Record<string, unknown>) => unknown;
  const label = `Flow run '${run.name}'`;
  const firstAttempt = resume?.attempt ?? 1;
  const scope: FlowRunScope = {
    id: run.id,
    name: run.name,
    flowName: options.name,
    parameters,
    resultsDir: run.resultsDir,
    attempt: firstAttempt,
    taskCounters: new Map(),
    subflowCounters: new Map(),
    checkpoints: checkpointMap(resume?.checkpoints),
    completed: new Map(),
    unhashed: new Map(Object.entries(resume?.unhashed ?? {})),
    completedUnhashed: new Map(),
    retriesLeft: resume?.retriesLeft ?? options.retries ?? 0,
    unsettled: { tasks: 0, subflows: 0 },
    pauses: 0,
    answered: new Map(Object.entries(resume?.inputs ?? {})),
  };
  noteEarlierArtifactKeys(scope, resume?.artifactKeys);
  let ctx: Ctx | undefined;
  const scoped = scopedSignal(parentSignal, options.timeoutSeconds, label, (f) => (ctx ? storage.run(ctx, f) : f()));
  if (scoped.deadline !== undefined) scope.deadline = scoped.deadline;
  ctx = new Ctx(scope, scoped.signal);
  setFallbackContext(ctx);
  const plan: RetryPlan = { retries: resume?.retriesLeft ?? options.retries ?? 0, delay: options.retryDelaySeconds, jitter: 0 };
  // A flow run of its own can be suspended (suspendFlowRun): its attempt ends then, the flow's code left
  // waiting for good — the process ends — and a resume runs it again from its checkpoints.
  let suspension: { message: string; pause: PauseInfo; at: number } | undefined;
  const suspended = new Promise<never>((_resolve, reject) => {
    if (!own) return;
    scope.suspend = (s) => {
      suspension = s;
      reject(SUSPENDED);
    };
  });
  let final: State;
  let value: unknown;
  try {
    const attempts = (): Promise<unknown> =>
      withRetries(plan, scoped.signal, ctx.logger, (name, message) => emitFlowState(run.id, name, message), (attemptNo) => {
        if (attemptNo > 1) {
          // A retry resumes: what the failed attempt completed is not done again.
          for (const [key, cp] of scope.completed) scope.checkpoints.set(key, cp);
          scope.checkpointsByArgs = undefined;
          for (const [key, attempt] of scope.completedUnhashed) scope.unhashed.set(key, attempt);
          scope.completed = new Map();
          scope.completedUnhashed = new Map();
          scope.ranAgain = undefined;
          scope.taskCounters = new Map();
          scope.subflowCounters = new Map();
          scope.pauses = 0;
          // A pause timed out in the failed attempt, which that timeout ended: the retry pauses again.
          scope.timedOut = undefined;
        }
        scope.attempt = firstAttempt + attemptNo - 1;
        scope.retriesLeft = plan.retries - (attemptNo - 1);
        // Cancelled before it began (a resume cancelled while its flow loaded): it never ran, and says so.
        if (!scoped.signal.aborted) emitFlowState(run.id, attemptNo === 1 ? 'Running' : 'Retrying', undefined, { attempt: scope.attempt, ...(scoped.deadline !== undefined ? { deadline: scoped.deadline } : {}) });
        return attempt(() => fn(structuredClone(parameters)), scoped.signal, graceFor, unsettledAfterTimeout()).catch((e: unknown) => {
          // Before a retry or the run's end: a pause that timed out and that the flow went on past is on record.
          if (e !== SUSPENDED) endOfAttemptAfterPause(scope, e);
          throw e;
        });
      });
    value = await storage.run(ctx, () => Promise.race([suspended, attempts()]));
    // A line the flow printed in part is its run's, before its end.
    flushOutput();
    warnUnawaited(scope.unsettled, ctx.logger);
    if (value !== undefined) keepFlowResult(run, value, ctx.logger);
    flushProgress(scope);
    final = emitFlowState(run.id, 'Completed');
    const done = final;
    await storage.run(ctx, () => runHooks('onCompletion', hooksOf(options.onCompletion), { id: run.id, name: run.name, state: done, parameters }, ctx.logger));
  } catch (error) {
    flushOutput();
    flushProgress(scope);
    if (error === SUSPENDED && suspension !== undefined) {
      // No hooks: the run has not ended, its attempt has.
      return { state: emitFlowState(run.id, 'Suspended', suspension.message, { pause: suspension.pause, at: suspension.at }) };
    }
    const [name, message] = finalStateFor(error, { label, kind: 'Flow run' });
    if (name === 'Failed' && !(error instanceof FlowRunError)) ctx.logger.error(`Encountered exception during execution:${isExpected(error) ? ' ' : '\n'}${errorReport(error, OWN_DIR)}`);
    // Failed by a subflow run it awaited: no failure of its own code, but which subflow run (its journal says where).
    final = emitFlowState(run.id, name, message, name !== 'Failed' ? {} : error instanceof FlowRunError ? { subflowRunId: error.runId } : { failure: failureOf(error, OWN_DIR) });
    const done = final;
    const cancelled = name === 'Cancelled';
    await storage.run(ctx, () => runHooks(cancelled ? 'onCancellation' : 'onFailure', hooksOf(cancelled ? options.onCancellation : options.onFailure), { id: run.id, name: run.name, state: done, parameters }, ctx.logger));
  } finally {
    ctx.dispose();
    scoped.dispose();
  }
  return { state: final, value };
}

/**
 * Task runs and subflow runs the flow returned without waiting for: they end with it, Failed, and the
 * log says why and what to do (as Prefect warns of a future never resolved).
 */
function warnUnawaited(unsettled: FlowRunScope['unsettled'], logger: RunLogger): void {
  const { tasks, subflows } = unsettled;
  if (tasks + subflows === 0) return;
  const what = [tasks > 0 ? `${tasks} task run${tasks === 1 ? '' : 's'}` : '', subflows > 0 ? `${subflows} subflow run${subflows === 1 ? '' : 's'}` : ''].filter(Boolean).join(' and ');
  const one = tasks + subflows === 1;
  logger.warning(`The flow returned with ${what} still running (not awaited): ${one ? 'it ends' : 'they end'} Failed. Await each call — or Promise.all them — so the flow waits for ${one ? 'it' : 'them'}.`);
}

function keepFlowResult(run: { id: string; name: string; resultsDir: string }, value: unknown, logger: RunLogger): void {
  try {
    const kept = keepValue(value, `Flow run '${run.name}'`, run.resultsDir, 'flow.dv');
    if (kept.kind === 'dropped') logger.warning(kept.note);
    sendResult(run.id, undefined, kept);
  } catch (e) {
    // A value that does not serialize, or a file the system refused (a full disk: the partial file is gone):
    // the result is left out with a warning, as README says, not a failure of the flow's own code.
    const refused = typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).syscall !== undefined;
    if (!(e instanceof SerializeError) && !refused) throw e;
    const note = `The flow's result was not kept: ${(e as Error).message}`;
    logger.warning(note);
    sendResult(run.id, undefined, { kind: 'dropped', note });
  }
}

/** Runs the flow's onCrashed hooks in a fresh worker, after the one that ran the flow died. */
export async function runCrashedHooks(flowObj: Flow<Record<string, unknown>, unknown>, run: { id: string; name: string }, message: string): Promise<void> {
  const scope: FlowRunScope = { id: run.id, name: run.name, flowName: flowObj.options.name, parameters: {}, resultsDir: '', attempt: 1, taskCounters: new Map(), subflowCounters: new Map(), checkpoints: new Map(), completed: new Map(), unhashed: new Map(), completedUnhashed: new Map(), retriesLeft: 0, unsettled: { tasks: 0, subflows: 0 }, pauses: 0, answered: new Map() };
  const ctx = new Ctx(scope, rootController.signal);
  // What the hooks print outside their context (a stray callback, an exit handler) goes to the crashed run too.
  setFallbackContext(ctx);
  await storage.run(ctx, () => runHooks('onCrashed', hooksOf(flowObj.options.onCrashed), { id: run.id, name: run.name, state: state('Crashed', message) }, ctx.logger));
}
