/**
 * Whether a run's journal holds no more than its creation wrote: its `run` record and, for a run made
 * ahead, its first state (newRunRecords.ts). A creation lists its run in the index before anything else
 * is written to the journal, so a journal holding more belonged to a run the index listed: one the
 * index no longer lists was lost by the index (a torn, emptied or deleted index file), not abandoned by
 * its creator, and its history is still all there. Reads at most the first lines, never the whole journal.
 */
import { open } from 'node:fs/promises';

const CHUNK = 64 * 1024;
/** How a creation's second line, the first state of a run made ahead, begins (stateRecord.ts). */
const STATE_LINE = Buffer.from('{"k":"state"');

/** True when the journal at `path` holds only a creation's lines (or nothing); false when it holds more. Throws when it cannot be read. */
export async function isBareCreation(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    /** Non-empty lines begun so far. */
    let lines = 0;
    let inLine = false;
    /** The start of the second line, as far as it has been read (enough to tell its kind). */
    let second = Buffer.alloc(0);
    for (let pos = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      for (let i = 0; i < bytesRead; i++) {
        const byte = buf[i]!;
        if (byte === 0x0a) {
          inLine = false;
          continue;
        }
        if (!inLine) {
          inLine = true;
          lines++;
          if (lines > 2) return false;
        }
        if (lines === 2 && second.length < STATE_LINE.length) second = Buffer.concat([second, buf.subarray(i, i + 1)]);
      }
    }
    return lines < 2 || second.equals(STATE_LINE);
  } finally {
    await fh.close();
  }
}
