/**
 * An append-only file of JSON lines, written asynchronously: appends queue up and go out together in one
 * `write` (and one `fdatasync` when durable) — a group commit, so a burst of records costs one write
 * and one sync, never a sync per line, and never a blocked thread.
 *
 * Every batch starts with a newline. A batch torn by a crash (or a short write on a full disk) then
 * never runs into the next one: the torn line is skipped on reading, whole lines before and after it
 * are kept. Several processes may append to one file: with O_APPEND each `write` lands whole at the end.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { StoreWriteError } from './storeErrors';

export const FILE_MODE = 0o600;

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}

export class JournalFile {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  private draining?: Promise<void>;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly durable: boolean,
  ) {}

  /** Opens `path` for appending, creating it (mode 0600). */
  static async open(path: string, options: { durable: boolean }): Promise<JournalFile> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'a', FILE_MODE);
    } catch (e) {
      throw StoreWriteError.from(e, path);
    }
    return new JournalFile(path, fh, options.durable);
  }

  /** Queues `text` (whole lines, each ending in a newline); resolves once it is written (and synced). */
  append(text: string): Promise<void> {
    if (this.closed) return Promise.reject(new StoreWriteError(`${this.path} is closed`, this.path));
    return new Promise<void>((resolve, reject) => {
      this.pending.push(text);
      this.waiters.push({ resolve, reject });
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
    try {
      while (this.pending.length > 0) {
        const text = `\n${this.pending.join('')}`;
        const waiters = this.waiters;
        this.pending = [];
        this.waiters = [];
        try {
          await writeLines(this.fh, Buffer.from(text, 'utf8'), this.path);
          if (this.durable) await this.fh.datasync();
          for (const w of waiters) w.resolve();
        } catch (e) {
          const error = StoreWriteError.from(e, this.path);
          for (const w of waiters) w.reject(error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }
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
