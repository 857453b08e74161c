/**
 * Pausing a flow run until someone resumes it (Prefect's `pause_flow_run`, with `wait_for_input`): the run
 * goes Paused, saying until when and what input it waits for; its worker waits, idle. A resume — `flowdeck
 * resume <run> --input …`, the editor's Resume Run — reaches the host running it, which checks the input
 * against the declaration (pauseInput.ts) and hands it here; the run is Running again and the flow goes on
 * with the input. Not resumed in time: `pauseFlowRun` throws a PauseTimeoutError. Cancelled or timed out
 * meanwhile: it throws the run's CancelledError or TimeoutError, as any wait in a run does.
 *
 * Each pause has a key (its own, or `pause-<n>` for the run's nth pause); the host records the input under
 * it as it hands it over, so a run resumed from its checkpoints — or retried — that reaches a pause it was
 * resumed from before goes on with that input instead of asking again (unless it no longer fits). One that
 * timed out and that the flow went on past times out again at once (timedOutPause.ts).
 */
import { formatDuration } from '../durationText';
import { checkDeclarations } from '../parameters';
import { MAX_PAUSE_KEY, PAUSED_MESSAGE, pauseInput, pauseKey } from '../pauseInput';
import type { PauseInfo } from '../records';
import { PauseTimeoutError } from '../runErrors';
import type { ParameterDeclarations, PauseOptions } from '../types';
import { storage } from './context';
import { masker } from './hostLink';
import { recordTimedOutPause } from './timedOutPause';
import { emitFlowState } from './flowRun';
import { onAbort } from './signals';

/** Default wait, as Prefect's: an hour. */
export const DEFAULT_PAUSE_SECONDS = 3600;
/** Longest wait: what a timer can hold (Node's setTimeout is limited to 2^31 − 1 ms, ~24.8 days). */
export const MAX_PAUSE_SECONDS = 2_000_000;
/** A description is a state's message: one line, bounded. */
export const MAX_PAUSE_DESCRIPTION = 500;
/** The input's declaration is part of the Paused state, which the store's list keeps: bounded. */
export const MAX_INPUT_DECLARATION_BYTES = 16 * 1024;

interface Waiting {
  resume(input: Record<string, unknown>): void;
}

/** The paused flow runs of this worker, by run id. */
const waiting = new Map<string, Waiting>();

export function pauseFlowRun(options: PauseOptions = {}): Promise<Record<string, unknown>> {
  return waitForInput(options, 'pauseFlowRun');
}

/**
 * Suspends the flow run until someone resumes it (Prefect's `suspend_flow_run`): as a pause, but its attempt
 * ends — Suspended, its process gone, nothing held — and a resume (with the input) runs it again from its
 * checkpoints, this call then returning the input at once. Only a flow run of its own (not a subflow), with
 * none of its task runs or subflow runs going.
 */
export function suspendFlowRun(options: PauseOptions = {}): Promise<Record<string, unknown>> {
  return waitForInput(options, 'suspendFlowRun');
}

function waitForInput(options: PauseOptions, fn: 'pauseFlowRun' | 'suspendFlowRun'): Promise<Record<string, unknown>> {
  const ctx = storage.getStore();
  if (!ctx) return Promise.reject(new Error(`${fn}() was called outside a flow run; call it in a flow`));
  if (ctx.taskRunId !== undefined) {
    return Promise.reject(new Error(`${fn}() was called in task run '${ctx.taskRunName}': a flow run ${fn === 'pauseFlowRun' ? 'pauses' : 'is suspended'}, not a task run — call it in the flow's own code, between tasks`));
  }
  const scope = ctx.scope;
  const label = `Flow run '${scope.name}'`;
  let seconds: number;
  let declarations: ParameterDeclarations | undefined;
  let description: string | undefined;
  let given: string | undefined;
  try {
    ({ seconds, declarations, description, key: given } = checkedOptions(options, `${fn}() in flow '${scope.flowName}'`));
  } catch (e) {
    return Promise.reject(e as Error);
  }
  if (waiting.has(scope.id)) return Promise.reject(new Error(`${label} is already paused: one pauseFlowRun() at a time (await it before pausing again)`));
  const signal = ctx.signalSource;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  // Going on past a pause that timed out: it is on record now.
  if (scope.timedOut !== undefined) recordTimedOutPause(scope);
  scope.pauses += 1;
  const key = given ?? pauseKey(scope.pauses);
  const suspending = fn === 'suspendFlowRun';

  // Resumed before (an earlier attempt of this run, or this one's before a retry): it goes on with that input.
  const before = scope.answered.get(key);
  if (before?.timedOut) {
    // It timed out then and the flow went on: it does again, the same way.
    const when = before.attempt === scope.attempt ? 'before' : `in attempt ${before.attempt}`;
    ctx.logger.info(`Not pausing again: pause '${key}' was not resumed in time ${when} and the flow went on, so it times out again (PauseTimeoutError)`);
    return Promise.reject(new PauseTimeoutError(`${label} was paused and not resumed in time (pause '${key}', ${when})`));
  }
  if (before !== undefined) {
    const checked = pauseInput(declarations, before.value);
    const when = before.attempt === scope.attempt ? 'before' : `in attempt ${before.attempt}`;
    if ('input' in checked) {
      const names = Object.keys(checked.input);
      const withInput = names.length > 0 ? ` with input ${names.join(', ')}` : '';
      ctx.logger.info(suspending ? `Going on after suspension '${key}'${withInput}` : `Not pausing again: pause '${key}' was resumed ${when}${withInput}`);
      return Promise.resolve(checked.input);
    }
    ctx.logger.warning(`The input ${suspending ? 'suspension' : 'pause'} '${key}' was resumed with ${when} does not fit it now, so it ${suspending ? 'is suspended' : 'pauses'} again: ${checked.problem}`);
  }

  // The pause's time: its state's, which its deadline counts from.
  const at = Date.now();
  const until = at + seconds * 1000;
  const pause: PauseInfo = { until, ...(declarations !== undefined ? { input: declarations } : {}), key };
  const inputs = declarations === undefined ? '' : ` It waits for input: ${Object.entries(declarations).map(([k, d]) => `${k} (${d.type}${d.required ? ', required' : ''})`).join(', ')}.`;
  if (suspending) {
    if (!scope.suspend) return Promise.reject(new Error(`suspendFlowRun() was called in subflow run '${scope.name}': a subflow run cannot be suspended (its parent's process goes on) — call pauseFlowRun() in it, or suspendFlowRun() in the flow that calls it`));
    const going = scope.unsettled.tasks + scope.unsettled.subflows;
    if (going > 0) return Promise.reject(new Error(`suspendFlowRun() was called while ${going} task or subflow run${going === 1 ? '' : 's'} of flow run '${scope.name}' ${going === 1 ? 'was' : 'were'} going: await ${going === 1 ? 'it' : 'them'} first — a suspended run's process ends`));
    ctx.logger.info(`Suspending flow run '${scope.name}' until resumed — \`flowdeck resume ${scope.name}\` or Resume Run in VS Code — for at most ${formatDuration(seconds * 1000)}; its process ends meanwhile.${inputs}`);
    scope.suspend({ message: description ?? PAUSED_MESSAGE, pause, at });
    // The attempt ends here; a resume runs the flow again, and this call then returns the input.
    return new Promise(() => undefined);
  }
  ctx.logger.info(`Pausing flow run '${scope.name}' until resumed — \`flowdeck resume ${scope.name}\` or Resume Run in VS Code — for at most ${formatDuration(seconds * 1000)}.${inputs}`);
  emitFlowState(scope.id, 'Paused', description ?? PAUSED_MESSAGE, { pause, at });

  return new Promise((resolve, reject) => {
    const running = (message: string): void => {
      emitFlowState(scope.id, 'Running', message, { attempt: scope.attempt, ...(scope.deadline !== undefined ? { deadline: scope.deadline } : {}) });
    };
    const end = (): void => {
      waiting.delete(scope.id);
      clearTimeout(timer);
      stopListening();
    };
    const timer = setTimeout(() => {
      end();
      const error = new PauseTimeoutError(`${label} was paused and not resumed within ${formatDuration(seconds * 1000)}`);
      // Recorded once the flow goes on past it (timedOutPause.ts).
      scope.timedOut = { key, ts: Date.now(), error };
      running(`Not resumed within ${formatDuration(seconds * 1000)}`);
      reject(error);
    }, seconds * 1000);
    // A cancel or the flow's timeout ends the wait; the run's end then says which.
    const stopListening = onAbort(signal, () => {
      end();
      reject(signal.reason as Error);
    });
    waiting.set(scope.id, {
      resume: (input) => {
        end();
        // The host recorded it as it sent it: a retry of this attempt goes on with it too.
        scope.answered.set(key, { value: input, attempt: scope.attempt, ts: Date.now() });
        running('Resumed');
        resolve(input);
      },
    });
  });
}

/**
 * A resume from the host, which checked the input against the declaration and filled in its defaults
 * (the one checker: a second one here could only disagree, and leave a pause the host took as resumed
 * waiting). A run not paused (resumed meanwhile, ended) ignores it.
 */
export function resumePausedRun(runId: string, input: Record<string, unknown>): void {
  waiting.get(runId)?.resume(input);
}

function checkedOptions(options: PauseOptions, where: string): { seconds: number; declarations: ParameterDeclarations | undefined; description: string | undefined; key: string | undefined } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new TypeError(`${where}: options must be an object ({ timeoutSeconds, description, input, key })`);
  for (const key of Object.keys(options)) {
    if (!['timeoutSeconds', 'description', 'input', 'key'].includes(key)) throw new TypeError(`${where}: unknown option '${key}' (expected timeoutSeconds, description, input or key)`);
  }
  const key = options.key;
  if (key !== undefined && (typeof key !== 'string' || key === '' || key.length > MAX_PAUSE_KEY || /[\u0000-\u001f\u007f]/.test(key))) {
    throw new TypeError(`${where}: key must be a string of 1 to ${MAX_PAUSE_KEY} characters on one line`);
  }
  const seconds = options.timeoutSeconds ?? DEFAULT_PAUSE_SECONDS;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_PAUSE_SECONDS) {
    throw new TypeError(`${where}: timeoutSeconds must be a number > 0 and ≤ ${MAX_PAUSE_SECONDS}, got ${String(seconds)}`);
  }
  let description: string | undefined;
  if (options.description !== undefined) {
    if (typeof options.description !== 'string') throw new TypeError(`${where}: description must be a string`);
    const line = options.description.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
    // Masked before it is cut: a secret the cut ran through would no longer be found, and its first part would show.
    description = line === '' ? undefined : line.length > MAX_PAUSE_DESCRIPTION ? `${masker.maskedHead(line, MAX_PAUSE_DESCRIPTION - 1).slice(0, MAX_PAUSE_DESCRIPTION - 1)}…` : line;
  }
  const declarations = options.input === undefined ? undefined : checkDeclarations('', options.input, { owner: where, noun: 'input' });
  const size = declarations === undefined ? 0 : Buffer.byteLength(JSON.stringify(declarations));
  if (size > MAX_INPUT_DECLARATION_BYTES) throw new TypeError(`${where}: input is declared in ${size} bytes of JSON; at most ${MAX_INPUT_DECLARATION_BYTES} (it is kept with the run's state)`);
  return { seconds, declarations, description, key };
}
