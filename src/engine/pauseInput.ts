/**
 * The input a resume gives a paused run (pauseFlowRun), checked against what the run waits for — by whoever
 * asks (`flowdeck resume`, the editor: a clear error at once) and by the host running the run (a request
 * comes from a file or a row anyone able to write the store could have written), which hands the worker
 * the input checked, its defaults filled in. Declared as
 * a flow's parameters are, and checked by the same code; bounded, since it travels in a request.
 */
import { ParameterError, parametersFromText, validateParameters, type DeclaredSubject } from './parameters';
import type { ParameterDeclarations } from './types';

/** A Paused state's message when its pause has no description. */
export const PAUSED_MESSAGE = 'Waiting to be resumed';

/** How a run waiting for a resume is said to wait: `paused` (pauseFlowRun, its process waiting) or `suspended` (suspendFlowRun). */
export function pausedWord(s: { name: string }): 'paused' | 'suspended' {
  return s.name === 'Suspended' ? 'suspended' : 'paused';
}

/** What a paused run waits for, said after its name: `: Deploy v7?`, or nothing for a pause without a description. */
export function pauseAbout(message: string | undefined): string {
  return message && message !== PAUSED_MESSAGE ? `: ${message}` : '';
}

/** The longest key a pause may have (PauseOptions.key): it names the pause's recorded input. */
export const MAX_PAUSE_KEY = 200;

/** The key of a run's `n`th pause (1-based) that has no key of its own. */
export function pauseKey(n: number): string {
  return `pause-${n}`;
}

/** The most a resume's input may hold, as JSON: it is a request's file or row, not a way to pass data. */
export const MAX_INPUT_BYTES = 64 * 1024;

/** How messages name a paused run's input. */
export function inputSubject(runName: string | undefined): DeclaredSubject {
  return { owner: runName === undefined ? 'the paused flow run' : `flow run '${runName}'`, noun: 'input' };
}

/**
 * `given` checked by `declarations` (defaults filled in), or why not. A run that waits for no input
 * (no declaration) takes none: anything given is refused, so a mistaken resume says so.
 */
export function pauseInput(declarations: ParameterDeclarations | undefined, given: unknown, mask?: (t: string) => string, runName?: string): { input: Record<string, unknown> } | { problem: string } {
  const subject = inputSubject(runName);
  let text: string;
  try {
    text = JSON.stringify(given ?? {});
  } catch (e) {
    return { problem: `Input for ${subject.owner} cannot be sent: ${(e as Error).message}` };
  }
  if (Buffer.byteLength(text) > MAX_INPUT_BYTES) return { problem: `Input for ${subject.owner} is ${Buffer.byteLength(text)} bytes as JSON; a resume's input is limited to ${MAX_INPUT_BYTES} bytes` };
  try {
    return { input: validateParameters('', declarations ?? {}, (given ?? {}) as Record<string, unknown>, { subject, ...(mask ? { mask } : {}) }) };
  } catch (e) {
    if (e instanceof ParameterError) return { problem: e.message };
    throw e;
  }
}

/** `--input key=value` texts, each read by its declared type; throws a ParameterError saying how to give each that does not fit. */
export function inputFromText(declarations: ParameterDeclarations | undefined, texts: Readonly<Record<string, string>>, runName?: string): Record<string, unknown> {
  return parametersFromText('', declarations ?? {}, texts, { subject: inputSubject(runName) });
}
