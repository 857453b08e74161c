/**
 * A file named on the command line (`--params @FILE`, a flow file glanced at) read up to a bound, whatever
 * it is: a file, a pipe (`@/dev/stdin`), a device (`@/dev/zero`). The size a stat gives says nothing for
 * the last two, so the bound is on what is read: reading stops one byte past it.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK_BYTES = 64 * 1024;

/**
 * The bytes of `path`, or undefined when it holds more than `maxBytes` (at most `maxBytes + 1` are read
 * to know it). Opening and reading errors (ENOENT, EISDIR) are thrown as they come.
 */
export function readUpTo(path: string, maxBytes: number): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > maxBytes) return undefined;
    }
  } finally {
    closeSync(fd);
  }
}
