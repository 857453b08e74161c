/**
 * How long a flow's or a task's name may be. A name is written into every record and log line of its runs
 * (a task named with 100,000 characters made each call's records 400 KB), and flow files are untrusted
 * input: `flow()` and `task()` refuse a longer one, and flow discovery says so without running the file.
 * Engine module: no vscode import.
 */
import { MAX_GIVEN_RUN_NAME } from './givenRunName';

/** As long as a run name may be. */
export const MAX_NAME_CHARS = MAX_GIVEN_RUN_NAME;

/**
 * What is wrong with `name`'s length (`is 100000 characters, more than the 200 …`), or undefined. Not quoted,
 * as a parameter error does not quote a long value: a cut quote could show part of a secret the name holds.
 */
export function nameLengthProblem(name: string): string | undefined {
  return name.length <= MAX_NAME_CHARS ? undefined : `is ${name.length} characters, more than the ${MAX_NAME_CHARS} a name may have; give it a shorter one`;
}
