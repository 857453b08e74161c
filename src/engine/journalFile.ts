/**
 * An append-only file of JSON lines, written asynchronously: appends queue up and go out together in one
 * `write`, synced when durable — a group commit, so a burst of records costs one write
 * and one sync, never a sync per line, and never a blocked thread.
 *
 * Every batch starts with a newline. A batch torn by a crash (or a short write on a full disk) then
 * never runs into the next one: the torn line is skipped on reading, whole lines before and after it
 * are kept. Several processes may append to one file: with O_APPEND each `write` lands whole at the end.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { StoreWriteError } from './storeErrors';

export const FILE_MODE = 0o600;

/**
 * Where the platform has it (not Windows), a durable journal is opened with O_DSYNC: each write returns
 * once it is on disk, as a write and an fdatasync would, in one call — one trip to the thread pool per
 * batch instead of two, on the path of every run's creation and end.
 */
const O_DSYNC: number = constants.O_DSYNC ?? 0;

/**
 * Journal lines as one text, or in pieces: text and bytes passed through as they came (the worker's
 * ready-made lines), each piece whole lines ending in a newline.
 */
export type JournalText = string | readonly (string | Buffer)[];

interface Entry {
  text: JournalText;
  /** Written only if every batch before it was (a run's final state). */
  afterAll: boolean;
  resolve(): void;
  reject(e: Error): void;
}

export class JournalFile {
  private pending: Entry[] = [];
  private draining?: Promise<void>;
  private closed = false;
  /** A batch of this file failed: what must come after all before it is refused from now on. */
  private failure?: Error;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    /** fdatasync after each batch's write (durable, and the file not opened with O_DSYNC). */
    private readonly syncAfterWrite: boolean,
  ) {}

  /** Opens `path` for appending, creating it (mode 0600). */
  static async open(path: string, options: { durable: boolean }): Promise<JournalFile> {
    const dsync = options.durable ? O_DSYNC : 0;
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | dsync, FILE_MODE);
    } catch (e) {
      throw StoreWriteError.from(e, path);
    }
    return new JournalFile(path, fh, options.durable && dsync === 0);
  }

  /** Queues `text` (whole lines, each ending in a newline); resolves once it is written (and synced). */
  append(text: JournalText): Promise<void> {
    return this.queue(text, false);
  }

  /**
   * As `append`, but `text` is written only once everything appended before it is written and synced:
   * refused (rejected, never written) after any batch of this file failed. It starts a batch of its own
   * (what is appended after it may join it): within one write a crash may keep a later page and lose an
   * earlier one, and a run's final state must never be on disk without the records before it.
   */
  appendAfterAll(text: string): Promise<void> {
    return this.queue(text, true);
  }

  private queue(text: JournalText, afterAll: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new StoreWriteError(`${this.path} is closed`, this.path));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text, afterAll, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves when everything appended so far is on disk (or has failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining.catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.closed) return;
    this.closed = true;
    await this.fh.close().catch(() => undefined);
  }

  private async drain(): Promise<void> {
    // Not a step before `draining` holds this drain: a batch refused whole would end it unawaited, and
    // `draining` would then hold a drain that is over, which nothing would start again.
    await Promise.resolve();
    try {
      while (this.pending.length > 0) {
        // A batch ends before the next entry that must come after all before it (see appendAfterAll).
        let cut = this.pending.findIndex((e, i) => i > 0 && e.afterAll);
        if (cut === -1) cut = this.pending.length;
        let batch = this.pending.slice(0, cut);
        this.pending = this.pending.slice(cut);
        if (this.failure) {
          for (const e of batch) if (e.afterAll) e.reject(this.failure);
          batch = batch.filter((e) => !e.afterAll);
          if (batch.length === 0) continue;
        }
        try {
          await writeLines(this.fh, batchBytes(batch), this.path);
          if (this.syncAfterWrite) await this.fh.datasync();
          for (const e of batch) e.resolve();
        } catch (e) {
          const error = StoreWriteError.from(e, this.path);
          this.failure ??= error;
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }
}

/**
 * A batch's bytes: a newline, then each entry's text. Each text is encoded on its own into one buffer:
 * joined into one string first, a big map's batch (thousands of lines, each entry a chain of them) took
 * 5–10× the CPU to encode, flattening the whole chain at once. Bytes passed through are copied as they are.
 */
function batchBytes(batch: readonly Entry[]): Buffer {
  let size = 1;
  for (const e of batch) {
    if (typeof e.text === 'string') size += Buffer.byteLength(e.text, 'utf8');
    else for (const piece of e.text) size += typeof piece === 'string' ? Buffer.byteLength(piece, 'utf8') : piece.length;
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 0x0a;
  let at = 1;
  for (const e of batch) {
    if (typeof e.text === 'string') at += buf.write(e.text, at, 'utf8');
    else for (const piece of e.text) at += typeof piece === 'string' ? buf.write(piece, at, 'utf8') : piece.copy(buf, at);
  }
  return buf;
}

/**
 * Writes whole lines. A short write (a full disk) leaves a partial line: the rest is written again from
 * the last complete line, on a fresh line, so nothing is duplicated and nothing runs together.
 */
export async function writeLines(fh: FileHandle, buf: Buffer, path: string): Promise<void> {
  let rest = buf;
  for (let tries = 0; rest.length > 0; tries++) {
    const { bytesWritten } = await fh.write(rest, 0, rest.length, null);
    if (bytesWritten === rest.length) return;
    if (bytesWritten === 0 || tries > 8) throw new StoreWriteError(`Could not write ${path}: only part of a record reached the disk (${bytesWritten} of ${rest.length} bytes)`, path, 'EIO');
    const lastNewline = rest.lastIndexOf(0x0a, bytesWritten - 1);
    rest = Buffer.concat([Buffer.from('\n'), rest.subarray(lastNewline + 1)]);
  }
}
