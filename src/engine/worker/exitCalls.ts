/**
 * A `process.exit()` in the flow's code ends the worker mid-run: the host records the run Crashed. Said
 * where it was called from, the Crashed run points at that line (its failure card, the Problems panel),
 * rather than at nothing: "Worker process exited unexpectedly (exit code 3) after process.exit(3) in the
 * flow's code". Flowdeck's own calls (its bundles, Node, packages) go unreported, as before.
 */
import { failureOf, userFrame } from './errors';
import { emit } from './hostLink';

export function reportExitCalls(ownDir: string): void {
  const exit = process.exit.bind(process);
  process.exit = function exitReported(code?: number | string | null): never {
    const call = `process.exit(${code === undefined || code === null ? '' : String(code).slice(0, 40)})`;
    const error = new Error(`${call} was called`);
    if (userFrame(error, ownDir)) emit({ k: 'fatal', message: `${call} in the flow's code`, failure: failureOf(error, ownDir) }, true);
    return exit(code);
  } as typeof process.exit;
}
