/**
 * A secret given as `-` (`auth youtube --client-secret-value -`, `resume --param token=-`) is read from stdin:
 * a command line is visible to every local user (`ps`, /proc/PID/cmdline), a pipe or a file is not.
 */
import { createInterface } from 'node:readline';
import type { TerminalInput } from './io';

/** What stands for stdin in place of a secret's value. */
export const FROM_STDIN = '-';

/** The first line on stdin, without its line end; undefined when stdin ends before any text (or there is none). */
export async function secretFromStdin(stdin: TerminalInput | undefined): Promise<string | undefined> {
  if (stdin === undefined) return undefined;
  const lines = createInterface({ input: stdin.open(), crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of lines) return line === '' ? undefined : line;
    return undefined;
  } finally {
    lines.close();
  }
}
