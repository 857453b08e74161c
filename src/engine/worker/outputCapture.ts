/**
 * What a flow prints is part of its run's log, in the order it was printed: `console.*` at their
 * levels, `process.stdout.write` as INFO and `process.stderr.write` as WARNING, line by line, and Node's
 * process warnings as WARNING. A write without a newline is a line of its own, not glued to the next one.
 */
import { format } from 'node:util';
import type { LogLevel } from '../records';
import { logOutsideRun } from './context';

const consoleLevels: [keyof Console, LogLevel][] = [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['debug', 'DEBUG'],
  ['trace', 'DEBUG'],
  ['warn', 'WARNING'],
  ['error', 'ERROR'],
];

function logLines(level: LogLevel, text: string): void {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) logOutsideRun(level, line.endsWith('\r') ? line.slice(0, -1) : line);
}

function captureStream(stream: NodeJS.WriteStream, level: LogLevel): void {
  const patched = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : String(chunk);
    logLines(level, text);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  };
  stream.write = patched as typeof stream.write;
}

export function captureOutput(): void {
  for (const [method, level] of consoleLevels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => logLines(level, format(...args));
  }
  captureStream(process.stdout, 'INFO');
  captureStream(process.stderr, 'WARNING');
  // Node's own warnings (a deprecated API a dependency calls, a listener leak): the worker is forked with
  // --no-warnings, which leaves out Node's printing of them past this capture — raw stderr, which the run's
  // log showed as two ERROR lines with the pid and a hint about --trace-warnings — but not the event.
  process.on('warning', (w) => logLines('WARNING', `${w.name}${codeOf(w)}: ${w.message}`));
}

function codeOf(w: Error): string {
  const code = (w as Error & { code?: unknown }).code;
  return typeof code === 'string' ? ` [${code}]` : '';
}
