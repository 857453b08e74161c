/**
 * What a flow prints is part of its run's log, in the order it was printed: `console.*` at their
 * levels, `process.stdout.write` as INFO and `process.stderr.write` as WARNING, line by line, and Node's
 * process warnings as WARNING. Lines are whole: a write without a newline is held until the write that
 * ends its line, within bounds (partialLine.ts), so a secret printed in pieces is masked in the joined line.
 *
 * Bytes are decoded per stream, as a terminal reads them: a Buffer write cut inside a character
 * (`write(buf.subarray(0, k))` then the rest, k within an "é" or an emoji) keeps the cut character's bytes
 * until the write that completes it, so the joined line has the character, not two U+FFFD.
 */
import { StringDecoder } from 'node:string_decoder';
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

/** The level of what is written to each stream itself (not through `console`). */
const streamLevels: Record<OutputStream, LogLevel> = { stdout: 'INFO', stderr: 'WARNING' };

const lines = new PartialLine((level, line, owner) => logOutsideRun(level, line, owner), currentOwner);

/**
 * The bytes of a character a Buffer write began and has not ended, per stream. Node's stream writes bytes
 * as they are (a Buffer's `encoding` is not used), so these are read as UTF-8, as a terminal would.
 */
const decoders: Record<OutputStream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

/** Writes `chunk` to the held lines: bytes through the stream's decoder, anything else as text. */
function writeChunk(name: OutputStream, level: LogLevel, chunk: unknown): void {
  const decoder = decoders[name];
  if (Buffer.isBuffer(chunk) || chunk instanceof Uint8Array) {
    lines.write(name, level, decoder.write(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
    return;
  }
  // Text (a string write, or `console.*`) after bytes that began a character: the character never ends
  // (U+FFFD, as a terminal shows it).
  const cut = decoder.end();
  lines.write(name, level, cut + (typeof chunk === 'string' ? chunk : String(chunk)));
}

/** Lets a line still held go as it is: the run or the process is ending. */
export function flushOutput(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const cut = decoders[name].end();
    if (cut !== '') lines.write(name, streamLevels[name], cut);
  }
  lines.flush();
}

function captureStream(stream: NodeJS.WriteStream, name: OutputStream, level: LogLevel): void {
  const patched = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    writeChunk(name, level, chunk);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  };
  stream.write = patched as typeof stream.write;
}

export function captureOutput(): void {
  for (const [method, level, stream] of consoleLevels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => writeChunk(stream, level, `${format(...args)}\n`);
  }
  captureStream(process.stdout, 'stdout', streamLevels.stdout);
  captureStream(process.stderr, 'stderr', streamLevels.stderr);
  // Node's own warnings (a deprecated API a dependency calls, a listener leak): the worker is forked with
  // --no-warnings, which leaves out Node's printing of them past this capture — raw stderr, which the run's
  // log showed as two ERROR lines with the pid and a hint about --trace-warnings — but not the event.
  process.on('warning', (w) => lines.write('stderr', 'WARNING', `${w.name}${codeOf(w)}: ${w.message}\n`));
}

function codeOf(w: Error): string {
  const code = (w as Error & { code?: unknown }).code;
  return typeof code === 'string' ? ` [${code}]` : '';
}
