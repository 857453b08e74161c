/**
 * A run name a flow gives its runs (`flowRunName`), as the stores take it: checked (it comes from the
 * flow's code), made unique in the store with a number (`report`, `report-2`, `report-3`…), and claimed
 * under a file name that is safe whatever the name holds. Engine module: no vscode import.
 */
import { createHash } from 'node:crypto';

/** The longest name a flow may give (the worker cuts longer ones to this). */
export const MAX_GIVEN_RUN_NAME = 200;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Whether `text` holds a control character (a line break would split a log line, an escape a terminal's text). */
export function hasControlCharacters(text: string): boolean {
  return new RegExp(CONTROL.source).test(text);
}

/** The name, checked: a non-empty string of at most MAX_GIVEN_RUN_NAME characters, no control characters. */
export function checkedRunName(name: unknown): string {
  if (typeof name !== 'string' || name.trim().length === 0) throw new TypeError('A run name must be a non-empty string');
  if (name.length > MAX_GIVEN_RUN_NAME) throw new TypeError(`A run name must be at most ${MAX_GIVEN_RUN_NAME} characters, got ${name.length}`);
  if (hasControlCharacters(name)) throw new TypeError('A run name must not hold control characters');
  return name;
}

/**
 * `text` made a name a store takes: control characters (a line break would split a log line) become
 * spaces, a long one is cut; undefined when nothing but spaces is left.
 */
export function fittedRunName(text: string): string | undefined {
  const shown = text.replace(CONTROL, ' ');
  if (shown.trim().length === 0) return undefined;
  return shown.length > MAX_GIVEN_RUN_NAME ? `${shown.slice(0, MAX_GIVEN_RUN_NAME - 1)}…` : shown;
}

/** The `n`th candidate for `wanted` (counting from 1): the name itself, then `wanted-2`, `wanted-3`… */
export function numberedName(wanted: string, n: number): string {
  return n <= 1 ? wanted : `${wanted}-${n}`;
}

/** The first candidate for `wanted` that `isTaken` does not know, from the `from`th on. */
export function firstFreeName(wanted: string, isTaken: (name: string) => boolean, from = 1): { name: string; n: number } {
  let n = from;
  while (isTaken(numberedName(wanted, n))) n++;
  return { name: numberedName(wanted, n), n };
}

/** Names kept as their claim file's name as they are: what the store names runs itself, and names as plain. */
const PLAIN = /^[a-z0-9][a-z0-9_-]{0,99}$/;

/** The file (in the store's names folder) that claims `name`: the name itself when plain, else a hash of it. */
export function claimFileName(name: string): string {
  return PLAIN.test(name) ? name : `=${createHash('sha256').update(name).digest('hex')}`;
}
