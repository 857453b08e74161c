/**
 * Reading the worker's event pipe as bytes, line by line. A big map's lines are mostly ready-made journal
 * lines (`trun`) that the host keeps as they came: `raw` is offered each line's bytes first, and only a
 * line it does not take is decoded. Decoding every line and splitting the text cost the host ~2 µs a line
 * (a third of its CPU in a 20,000-task map), and the text was encoded back to bytes for the journal.
 *
 * A newline byte never occurs inside a UTF-8 sequence, so lines are cut in the bytes, before decoding.
 */
import type { Readable } from 'node:stream';

/** A line longer than this is dropped (the worker never writes one). */
export const MAX_EVENT_LINE = 128 * 1024 * 1024;

export interface EventSink {
  /**
   * A complete line's bytes, `chunk[start, end)` with its newline: true if taken as they are. The bytes
   * stay valid after the call (each read of the pipe is a buffer of its own).
   */
  raw(chunk: Buffer, start: number, end: number): boolean;
  /** A complete line `raw` did not take, decoded, without its newline. */
  line(line: string): void;
  /** All the lines of one read have been given. */
  read(): void;
}

/** Reads `stream` to its end into `sink`, in order; resolves once it has ended (or failed, or closed). */
export function readEvents(stream: Readable, sink: EventSink): Promise<void> {
  /** The start of a line that spans reads: its pieces so far. */
  let parts: Buffer[] = [];
  let partLength = 0;
  let dropping = false;
  const give = (chunk: Buffer, start: number, end: number): void => {
    if (end - start <= 1) return;
    if (!sink.raw(chunk, start, end)) sink.line(chunk.toString('utf8', start, end - 1));
  };
  return new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      let from = 0;
      let nl = chunk.indexOf(0x0a);
      if (nl !== -1 && (partLength > 0 || dropping)) {
        // Only the new piece is searched: a long line arriving in many reads costs linear time.
        if (dropping) dropping = false;
        else {
          parts.push(chunk.subarray(0, nl + 1));
          const whole = Buffer.concat(parts, partLength + nl + 1);
          give(whole, 0, whole.length);
        }
        parts = [];
        partLength = 0;
        from = nl + 1;
        nl = chunk.indexOf(0x0a, from);
      }
      while (nl !== -1) {
        give(chunk, from, nl + 1);
        from = nl + 1;
        nl = chunk.indexOf(0x0a, from);
      }
      if (from < chunk.length && !dropping) {
        parts.push(chunk.subarray(from));
        partLength += chunk.length - from;
        if (partLength > MAX_EVENT_LINE) {
          parts = [];
          partLength = 0;
          dropping = true;
        }
      }
      sink.read();
    });
    let ended = false;
    const done = (): void => {
      if (ended) return;
      ended = true;
      // A last line without its newline (the worker was killed as it wrote): decoded, never kept as it came.
      if (!dropping && partLength > 0) {
        sink.line(Buffer.concat(parts, partLength).toString('utf8'));
        sink.read();
      }
      parts = [];
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
