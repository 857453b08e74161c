/**
 * Requests to a run another process runs, on the embedded store: a small file named by the run's id in a
 * folder of the store's private `runs/` — `cancels/` (cancelRequests.ts), `resumes/` (a paused run's input,
 * pauseInput.ts). Every process that runs runs watches the folders while it does (a watch where the system
 * has one, and a look every second besides: a watch can miss events, and some file systems have none); the
 * one running the run takes the request and removes the file. On Postgres the same requests go through the
 * database (pgShared.ts).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from './replaceFile';
import { StoreWriteError } from './storeErrors';
import { privateDir } from './storeHome';

/** A run id, as the store names its files: anything else in the folder (a temporary file) is not a request. */
const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** How often the folder is looked at besides its watch. */
const LOOK_MS = 1000;
/** How long after a process starts running runs it first looks. */
const START_AFTER_MS = 250;

/** Called for each request seen; true when this process took it (the request is then removed). */
export type RequestListener<T> = (runId: string, request: T) => boolean;

/**
 * What a request file holds, read: `text` is undefined when the file could not be read or is bigger than
 * `maxBytes` (not written by Flowdeck). Undefined: not a request after all (the file is removed).
 */
export type RequestDecoder<T> = (text: string | undefined) => T | undefined;

export class RunRequestFiles<T> {
  readonly dir: string;
  private readonly listeners = new Set<RequestListener<T>>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private looking = false;
  private again = false;

  constructor(
    runsDir: string,
    folder: string,
    private readonly decode: RequestDecoder<T>,
    /** A request file bigger than this is not read (it was not written by Flowdeck). */
    private readonly maxBytes: number,
  ) {
    this.dir = join(runsDir, folder);
  }

  /** Leaves `content` (JSON) for whichever process runs `runId`. */
  async request(runId: string, content: unknown): Promise<void> {
    if (!RUN_ID.test(runId)) throw new Error(`Not a run id: ${JSON.stringify(runId)}`);
    const text = JSON.stringify(content);
    if (Buffer.byteLength(text) > this.maxBytes) throw new Error(`A request to run ${runId} is ${Buffer.byteLength(text)} bytes; at most ${this.maxBytes}`);
    await privateDir(this.dir);
    const file = join(this.dir, runId);
    try {
      await replaceFile(file, text);
    } catch (e) {
      // A write the system refuses (a full disk) says which file and why, as the store's other writes do.
      throw StoreWriteError.from(e, file);
    }
  }

  /** Removes the requests of runs that have ended (`ended(runId)`): left when a run ended before its process looked. */
  async sweep(ended: (runId: string) => boolean): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const runId of names) if (RUN_ID.test(runId) && ended(runId)) await this.remove(runId);
  }

  /** Removes a request nobody will take (its run ended). */
  async remove(runId: string): Promise<void> {
    if (RUN_ID.test(runId)) await rm(join(this.dir, runId), { force: true }).catch(() => undefined);
  }

  /** Calls `listener` for each request in the folder, now and as they come, until the returned function is called. */
  listen(listener: RequestListener<T>): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  private start(): void {
    // Not on a short run's path: a run of a few milliseconds ends before anyone could ask (and is then
    // cancelled by nobody); a request for an older one is found within a second.
    this.timer = setTimeout(() => this.begin(), START_AFTER_MS);
    this.timer.unref();
  }

  private begin(): void {
    if (this.listeners.size === 0) return;
    void privateDir(this.dir)
      .then(() => {
        if (this.listeners.size === 0 || this.watcher) return;
        try {
          this.watcher = watch(this.dir, { persistent: false }, () => this.look());
          this.watcher.on('error', () => this.watcher?.close());
        } catch {
          // No watch here: the regular look finds requests.
        }
      })
      .catch(() => undefined)
      .finally(() => this.look());
    this.timer = setInterval(() => this.look(), LOOK_MS);
    this.timer.unref();
  }

  private stop(): void {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  private look(): void {
    if (this.listeners.size === 0) return;
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = true;
    void this.read()
      .catch(() => undefined)
      .finally(() => {
        this.looking = false;
        if (this.again) {
          this.again = false;
          this.look();
        }
      });
  }

  private async read(): Promise<void> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((n) => RUN_ID.test(n));
    for (const runId of names) {
      const read = await this.textOf(runId);
      if (read === 'gone') continue;
      const request = this.decode(read);
      if (request === undefined) {
        await this.remove(runId);
        continue;
      }
      let took = false;
      for (const l of [...this.listeners]) took = l(runId, request) || took;
      if (took) await this.remove(runId);
    }
  }

  /** The file's text; undefined when unreadable or too big; 'gone' when taken meanwhile by its process. */
  private async textOf(runId: string): Promise<string | undefined | 'gone'> {
    try {
      const text = await readFile(join(this.dir, runId), 'utf8');
      return Buffer.byteLength(text) > this.maxBytes ? undefined : text;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
    }
  }
}
