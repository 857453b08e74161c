/**
 * Garbage collections on demand, for tests of what must survive one (a request's time bound): Node's `gc`
 * without starting the test process with --expose-gc.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
export const gc = runInNewContext('gc') as () => void;

/** Collects every `everyMs` until the returned function is called. */
export function collectingGarbage(everyMs = 20): () => void {
  const timer = setInterval(gc, everyMs);
  return () => clearInterval(timer);
}
