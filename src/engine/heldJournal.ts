/**
 * A journal scanned more than once (a run read in parts, runTaskStream.ts) that is opened once: a small one
 * is read whole at the first scan and its bytes held, so later scans read them, not the file; a larger one
 * is scanned from the file each time, in bounded memory. `runs --json` of 20,000 small runs opened every
 * journal twice, each scan with a read buffer of its own, and spent most of its time there.
 */
import { open } from 'node:fs/promises';
import { heldBytes, scanJsonLines, type ScanResult } from './jsonLines';
import { withPath } from './storeErrors';

type ScanOptions = Omit<NonNullable<Parameters<typeof scanJsonLines>[4]>, 'source' | 'chunkBytes'>;

export class HeldJournal {
  private held?: Buffer;
  private opened = false;

  /** `holdBytes`: a journal larger than this is not held. */
  constructor(
    private readonly path: string,
    private readonly holdBytes: number,
  ) {}

  /** As scanJsonLines of the journal from its start. Throws as it does when the file cannot be opened or read. */
  async scan<T>(parse: (value: unknown) => T | undefined, onRecords: (records: T[]) => void | Promise<void>, options: ScanOptions = {}): Promise<ScanResult> {
    if (this.held) return scanJsonLines(this.path, 0, parse, onRecords, { ...options, source: heldBytes(this.held), chunkBytes: Math.max(1, this.held.length) });
    if (this.opened) return scanJsonLines(this.path, 0, parse, onRecords, options);
    this.opened = true;
    const fh = await open(this.path, 'r');
    try {
      const { size } = await fh.stat();
      if (size > this.holdBytes) return await scanJsonLines(this.path, 0, parse, onRecords, { ...options, source: fh });
      // What is there as the size was taken: bytes appended since are not read, as a scan begun a moment earlier would not.
      const bytes = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const { bytesRead } = await fh.read(bytes, got, size - got, got).catch((e: unknown) => Promise.reject(withPath(e, this.path)));
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      this.held = bytes.subarray(0, got);
    } finally {
      await fh.close();
    }
    return this.scan(parse, onRecords, options);
  }
}
