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
  /** A batch was written since the last `touch`. */
  private written = false;

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

  /**
   * Sets the file's time to now unless a batch was written since the last call: a sign that its writer
   * lives while it has nothing to write (embeddedStore.ts). Never fails: a sign missed costs nothing.
   */
  async touch(): Promise<void> {
    if (this.written) {
      this.written = false;
      return;
    }
    if (this.closed || this.draining) return;
    const now = new Date();
    await this.fh.utimes(now, now).catch(() => undefined);
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
          await writeLines(this.fh, batchPieces(batch), this.path);
          if (this.syncAfterWrite) await this.fh.datasync();
          this.written = true;
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

/** More pieces than this in one batch are joined into one buffer: one write call, never split by the system. */
const MAX_PIECES = 64;

/**
 * A batch's bytes, in pieces written together: a newline, then each entry's text. Text is encoded entry by
 * entry into one buffer per run of text entries: joined into one string first, a big map's batch
 * (thousands of lines, each entry a chain of them) took 5–10× the CPU to encode, flattening the whole
 * chain at once. Bytes passed through are written from where they are: copied into a fresh buffer, a big
 * map's ~4 MB of task run lines cost ~20 ms of the host's CPU (mostly the new memory's page faults).
 */
function batchPieces(batch: readonly Entry[]): Buffer[] {
  const texts: (string | Buffer)[] = ['\n'];
  for (const e of batch) {
    if (typeof e.text === 'string') texts.push(e.text);
    else for (const piece of e.text) texts.push(piece);
  }
  const pieces: Buffer[] = [];
  for (let i = 0; i < texts.length; ) {
    const t = texts[i]!;
    if (typeof t !== 'string') {
      pieces.push(t);
      i++;
      continue;
    }
    let end = i;
    let size = 0;
    for (let x = texts[end]; typeof x === 'string'; x = texts[++end]) size += Buffer.byteLength(x, 'utf8');
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    for (; i < end; i++) at += buf.write(texts[i] as string, at, 'utf8');
    pieces.push(buf);
  }
  return pieces.length > MAX_PIECES ? [Buffer.concat(pieces)] : pieces;
}

/**
 * Writes whole lines. A short write (a full disk) leaves a partial line: the rest is written again from
 * the last complete line, on a fresh line, so nothing is duplicated and nothing runs together.
 */
export async function writeLines(fh: FileHandle, bytes: Buffer | readonly Buffer[], path: string): Promise<void> {
  let rest: Buffer;
  let bytesWritten: number;
  if (Buffer.isBuffer(bytes)) {
    rest = bytes;
    ({ bytesWritten } = await fh.write(rest, 0, rest.length, null));
  } else {
    ({ bytesWritten } = await fh.writev(bytes));
    let total = 0;
    for (const b of bytes) total += b.length;
    if (bytesWritten === total) return;
    rest = Buffer.concat(bytes, total);
  }
  for (let tries = 0; ; tries++) {
    if (bytesWritten === rest.length) return;
    if (bytesWritten === 0 || tries > 8) throw new StoreWriteError(`Could not write ${path}: only part of a record reached the disk (${bytesWritten} of ${rest.length} bytes)`, path, 'EIO');
    const lastNewline = rest.lastIndexOf(0x0a, bytesWritten - 1);
    rest = Buffer.concat([Buffer.from('\n'), rest.subarray(lastNewline + 1)]);
    ({ bytesWritten } = await fh.write(rest, 0, rest.length, null));
  }
}
