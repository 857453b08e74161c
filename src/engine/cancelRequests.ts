/**
 * Cancel requests of the embedded store: a request to cancel a run another process runs (a `flowdeck run`
 * in a terminal, `flowdeck serve`, another editor window) is a small file named by the run's id in the
 * store's private `runs/cancels` folder, holding the reason. Every process that runs runs watches the folder
 * while it does (a watch where the system has one, and a look every second besides: a watch can miss
 * events, and some file systems have none); the one running the run cancels it and removes the file.
 * On Postgres the same requests go through the database (pgShared.ts).
 */
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from './replaceFile';
import { privateDir } from './storeHome';

/** A run id, as the store names its files: anything else in the folder (a temporary file) is not a request. */
const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A reason longer than this is cut: it is shown as the run's state message. */
export const MAX_CANCEL_REASON = 500;
/** A request file bigger than this is not read (it was not written by Flowdeck). */
const MAX_REQUEST_BYTES = 4096;
/** How often the folder is looked at besides its watch. */
const LOOK_MS = 1000;
/** How long after a process starts running runs it first looks. */
const START_AFTER_MS = 250;

/** Called for each request seen; true when this process took it (the request is then removed). */
export type CancelListener = (runId: string, reason: string) => boolean;

export class CancelRequestFiles {
  readonly dir: string;
  private readonly listeners = new Set<CancelListener>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private looking = false;
  private again = false;

  constructor(runsDir: string) {
    this.dir = join(runsDir, 'cancels');
  }

  /** Asks whichever process runs `runId` to cancel it. */
  async request(runId: string, reason: string): Promise<void> {
    if (!RUN_ID.test(runId)) throw new Error(`Not a run id: ${JSON.stringify(runId)}`);
    await privateDir(this.dir);
    await replaceFile(join(this.dir, runId), JSON.stringify({ reason: boundedReason(reason) }));
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
  listen(listener: CancelListener): () => void {
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
      const reason = await this.reasonOf(runId);
      if (reason === undefined) continue;
      let took = false;
      for (const l of [...this.listeners]) took = l(runId, reason) || took;
      if (took) await this.remove(runId);
    }
  }

  private async reasonOf(runId: string): Promise<string | undefined> {
    try {
      const text = await readFile(join(this.dir, runId), 'utf8');
      if (text.length > MAX_REQUEST_BYTES) return 'Cancelled by request';
      const v = JSON.parse(text) as { reason?: unknown };
      return typeof v.reason === 'string' && v.reason.trim() !== '' ? boundedReason(v.reason) : 'Cancelled by request';
    } catch (e) {
      // Gone meanwhile (taken by its process): nothing to do.
      return (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : 'Cancelled by request';
    }
  }
}

/** One line, at most MAX_CANCEL_REASON characters. */
export function boundedReason(reason: string): string {
  const line = reason.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > MAX_CANCEL_REASON ? `${line.slice(0, MAX_CANCEL_REASON - 1)}…` : line;
}
