/**
 * Reads a file of JSON lines in chunks, never as one string: a journal of any size reads in bounded
 * memory, and a line too large to hold is skipped and counted rather than failing the whole read (or,
 * worse, reading as empty). Each chunk is parsed between awaits, so a long read never holds the thread.
 * `journalLines` writes what it reads.
 */
import { open } from 'node:fs/promises';
import { withPath } from './storeErrors';

/** Lines longer than this are not parsed. Records are small; results over the inline limit live in files. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
const CHUNK = 1024 * 1024;

export interface ScanResult {
  /** Offset just past the last complete line read. */
  end: number;
  /** Lines that were not valid JSON or not the record `parse` accepts. */
  skipped: number;
  /** Lines over the size limit (also counted in `skipped`). */
  tooLarge: number;
  /** Their bytes in all (a line torn at the end of the read counts what was there). */
  tooLargeBytes: number;
  /** Bytes after the last newline: a record still being written, or torn by a crash. */
  tail: number;
}

/**
 * Hands each complete, non-empty line from `start` on, parsed by `parse` (which returns undefined for
 * lines it does not accept), to `onRecords`, a chunk's worth at a time; a returned promise is awaited
 * before the next chunk is read (backpressure). Throws only when the file cannot be opened or read.
 */
export async function scanJsonLines<T>(
  path: string,
  start: number,
  parse: (value: unknown) => T | undefined,
  onRecords: (records: T[]) => void | Promise<void>,
  options: {
    maxLineBytes?: number;
    signal?: AbortSignal;
    /** Read nothing from this offset on. */
    end?: number;
    /** Bytes read, parsed and handed on at a time (default 1 MB): smaller keeps each synchronous stretch short. */
    chunkBytes?: number;
    /** Lines for which this says true (given their bytes, `bytes[from, to)`) are passed over: neither parsed, handed on nor counted. */
    passOver?: (bytes: Buffer, from: number, to: number) => boolean;
    /** Read from here instead of opening `path` (named in errors): an open file, or its bytes read before (heldBytes). */
    source?: ByteSource;
  } = {},
): Promise<ScanResult> {
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  const passOver = options.passOver;
  const opened = options.source ? undefined : await open(path, 'r');
  const fh: ByteSource = options.source ?? opened!;
  const result: ScanResult = { end: start, skipped: 0, tooLarge: 0, tooLargeBytes: 0, tail: 0 };
  try {
    /**
     * The start of a line the chunks read so far have not ended, kept as the chunks came: joined once,
     * when its end comes (joining at every read, and searching it from its start, was quadratic in a long line).
     */
    let carry: Buffer[] = [];
    let carryBytes = 0;
    /** Skipping the rest of a line that is over the limit. */
    let skippingLong = false;
    /** Where the line carried or skipped began: a skipped line's size is known at its end. */
    let lineStart = start;
    let pos = start;
    const size = options.chunkBytes ?? CHUNK;
    const buf = Buffer.allocUnsafe(size);
    for (;;) {
      options.signal?.throwIfAborted();
      const want = options.end === undefined ? size : Math.min(size, options.end - pos);
      if (want <= 0) break;
      const { bytesRead } = await fh.read(buf, 0, want, pos).catch((e: unknown) => Promise.reject(withPath(e, path)));
      if (bytesRead === 0) break;
      pos += bytesRead;
      const chunk = buf.subarray(0, bytesRead);
      const base = pos - bytesRead;
      const batch: T[] = [];
      /** Counts a line over the limit; its `bytes` once known (a line being skipped adds them at its end). */
      const tooLarge = (bytes = 0): void => {
        result.skipped++;
        result.tooLarge++;
        result.tooLargeBytes += bytes;
      };
      const line = (bytes: Buffer, from: number, to: number): void => {
        if (to === from) return;
        if (passOver?.(bytes, from, to)) return;
        if (to - from > maxLine) return tooLarge(to - from);
        let record: T | undefined;
        try {
          record = parse(JSON.parse(bytes.toString('utf8', from, to)));
        } catch {
          record = undefined;
        }
        if (record === undefined) result.skipped++;
        else batch.push(record);
      };
      let from = 0;
      if (skippingLong || carryBytes > 0) {
        const nl = chunk.indexOf(0x0a);
        if (nl === -1) {
          if (!skippingLong && carryBytes + bytesRead > maxLine) {
            tooLarge();
            skippingLong = true;
            carry = [];
            carryBytes = 0;
          } else if (!skippingLong) {
            // Copied: `buf` is reused by the next read.
            carry.push(Buffer.from(chunk));
            carryBytes += bytesRead;
          }
          if (skippingLong) result.end = pos;
          continue;
        }
        if (skippingLong) result.tooLargeBytes += base + nl - lineStart;
        else {
          if (carryBytes + nl > maxLine) tooLarge(carryBytes + nl);
          else {
            const whole = Buffer.concat([...carry, chunk.subarray(0, nl)]);
            line(whole, 0, whole.length);
          }
        }
        skippingLong = false;
        carry = [];
        carryBytes = 0;
        from = nl + 1;
        result.end = base + from;
      }
      for (;;) {
        const nl = chunk.indexOf(0x0a, from);
        if (nl === -1) break;
        line(chunk, from, nl);
        from = nl + 1;
        result.end = base + from;
      }
      if (batch.length > 0) await onRecords(batch);
      const rest = bytesRead - from;
      if (rest > maxLine) {
        tooLarge();
        skippingLong = true;
        lineStart = base + from;
        result.end = pos;
      } else if (rest > 0) {
        carry = [Buffer.from(chunk.subarray(from))];
        carryBytes = rest;
        lineStart = base + from;
      }
    }
    if (skippingLong) result.tooLargeBytes += pos - lineStart;
    result.tail = skippingLong ? 0 : carryBytes;
  } finally {
    await opened?.close();
  }
  return result;
}

/** What a scan reads from: an open file, or a file's bytes read before. */
export interface ByteSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** A file's bytes, read before, as a scan's source: scanned again without opening the file. */
export function heldBytes(bytes: Buffer): ByteSource {
  return {
    read: (buffer, offset, length, position) => Promise.resolve({ bytesRead: position >= bytes.length ? 0 : bytes.copy(buffer, offset, position, Math.min(bytes.length, position + length)) }),
  };
}

/** Records as JSON lines, each ending in a newline: what a journal appends. */
export function journalLines(records: readonly unknown[]): string {
  let text = '';
  for (const r of records) text += `${JSON.stringify(r)}\n`;
  return text;
}
