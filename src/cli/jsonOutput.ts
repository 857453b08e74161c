/**
 * What a command prints with `--json`, on its way to stdout. JSON.stringify escapes the C0 controls but
 * leaves DEL, the C1 controls (U+009B is CSI, which some terminals obey), U+2028/U+2029 and the
 * bidirectional controls (U+202E reverses what follows) as they are: a run name, a log line or a parameter
 * holding one reached the terminal raw. Every `--json` text goes through the stream made here, whichever
 * command wrote it, and has each of them as JSON's `\uHHHH` (neutraliseTerminalJson): still JSON, parsing to
 * the same value. Only the text is changed on the way: the stream is the command's stdout in every other
 * respect (its backpressure and `drain`, isTTY), and nothing is held back, so what is printed is out when the
 * command returns.
 */
import { neutraliseTerminalJson } from '../engine/terminalText';
import type { CliIo } from './io';

/**
 * Whether a command's arguments ask for `--json`. Not after `--`: an argument there is a positional. A
 * command's own parser refuses `--json` as the value of an option (`--search --json`: write
 * `--search=--json`), so a `--json` standing alone before it is always the flag.
 */
export function asksForJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

/** `io` with its stdout writing JSON text as terminal-safe JSON (what every `--json` prints). */
export function jsonOutputIo(io: CliIo): CliIo {
  return { ...io, stdout: jsonSafeStream(io.stdout) };
}

/**
 * `stream`, its text written with neutraliseTerminalJson. Only text is escaped (every command writes text;
 * a Buffer would be passed as it is). The escape is per character, so text cut anywhere escapes the same.
 */
function jsonSafeStream(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  const write = (chunk: unknown, ...rest: unknown[]): boolean => (stream.write as (...a: unknown[]) => boolean)(typeof chunk === 'string' ? neutraliseTerminalJson(chunk) : chunk, ...rest);
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
