/**
 * A `process.exit()` in the flow's code ends the worker mid-run: the host records the run Crashed. Said
 * where it was called from, the Crashed run points at that line (its failure card, the Problems panel),
 * rather than at nothing: "Worker process exited unexpectedly (exit code 3) after process.exit(3) in the
 * flow's code". Flowdeck's own calls (its bundles, Node, packages) go unreported, as before.
 */
import { failureOf, userFrame } from './errors';
import { emit, masker } from './hostLink';

/** How much of the code given a message quotes. */
const SHOWN_CODE_CHARS = 40;

export function reportExitCalls(ownDir: string): void {
  const exit = process.exit.bind(process);
  process.exit = function exitReported(code?: number | string | null): never {
    refuseBadCode(code);
    // Masked, then cut: a secret given as the code and cut first would show its first part.
    const call = `process.exit(${code === undefined || code === null ? '' : masker.maskedHead(String(code), SHOWN_CODE_CHARS)})`;
    const error = new Error(`${call} was called`);
    if (userFrame(error, ownDir)) emit({ k: 'fatal', message: `${call} in the flow's code`, failure: failureOf(error, ownDir) }, true);
    return exit(code);
  } as typeof process.exit;
}

/**
 * Node refuses a code that is not a safe whole number (or the text of one) with an error quoting part of
 * what it was given (a text's first 25 characters, a long number's digits), in which a secret given by
 * mistake is no longer found. Refused here first, with the same error codes, quoting it masked, before a
 * Crashed run is announced that would not come.
 */
function refuseBadCode(code: unknown): void {
  if (code === undefined || code === null || Number.isSafeInteger(code) || (typeof code === 'string' && code !== '' && Number.isSafeInteger(Number(code)))) return;
  const given = typeof code === 'string' ? `the text ${JSON.stringify(masker.maskedHead(code, SHOWN_CODE_CHARS) + (code.length > SHOWN_CODE_CHARS ? '…' : ''))}` : typeof code === 'number' ? String(code) : `a value of type ${typeof code}`;
  const error = typeof code === 'number' ? new RangeError(`process.exit() takes a whole number as the exit code; it was given ${given}`) : new TypeError(`process.exit() takes a whole number (or its text) as the exit code; it was given ${given}`);
  Object.assign(error, { code: typeof code === 'number' ? 'ERR_OUT_OF_RANGE' : 'ERR_INVALID_ARG_TYPE' });
  throw error;
}
