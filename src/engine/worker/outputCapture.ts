/**
 * What a flow prints is part of its run's log, in the order it was printed: `console.*` at their
 * levels, `process.stdout.write` as INFO and `process.stderr.write` as WARNING, line by line, and Node's
 * process warnings as WARNING. Lines are whole: a write without a newline is held until the write that
 * ends its line, within bounds (partialLine.ts), so a secret printed in pieces is masked in the joined line.
 */
import { format } from 'node:util';
import type { LogLevel } from '../records';
import { currentOwner, logOutsideRun } from './context';
import { PartialLine, type OutputStream } from './partialLine';

/** Each console method, at its level, on the stream Node's console writes it to. */
const consoleLevels: [keyof Console, LogLevel, OutputStream][] = [
  ['log', 'INFO', 'stdout'],
  ['info', 'INFO', 'stdout'],
  ['debug', 'DEBUG', 'stdout'],
  ['trace', 'DEBUG', 'stderr'],
  ['warn', 'WARNING', 'stderr'],
  ['error', 'ERROR', 'stderr'],
];

const lines = new PartialLine((level, line, owner) => logOutsideRun(level, line, owner), currentOwner);

/** Lets a line still held go as it is: the run or the process is ending. */
export function flushOutput(): void {
  lines.flush();
}

function captureStream(stream: NodeJS.WriteStream, name: OutputStream, level: LogLevel): void {
  const patched = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : String(chunk);
    lines.write(name, level, text);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  };
  stream.write = patched as typeof stream.write;
}

export function captureOutput(): void {
  for (const [method, level, stream] of consoleLevels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => lines.write(stream, level, `${format(...args)}\n`);
  }
  captureStream(process.stdout, 'stdout', 'INFO');
  captureStream(process.stderr, 'stderr', 'WARNING');
  // Node's own warnings (a deprecated API a dependency calls, a listener leak): the worker is forked with
  // --no-warnings, which leaves out Node's printing of them past this capture — raw stderr, which the run's
  // log showed as two ERROR lines with the pid and a hint about --trace-warnings — but not the event.
  process.on('warning', (w) => lines.write('stderr', 'WARNING', `${w.name}${codeOf(w)}: ${w.message}\n`));
}

function codeOf(w: Error): string {
  const code = (w as Error & { code?: unknown }).code;
  return typeof code === 'string' ? ` [${code}]` : '';
}
