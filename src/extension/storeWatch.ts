/**
 * How an editor window learns what other processes (the CLI, `flowdeck serve`, other windows) do to the run
 * store: the embedded store's index files watched on disk, a shared store's pushed changes, and a look every
 * few seconds at whether the processes owning unfinished runs are still alive. Apart from vscode, so it is
 * tested with real stores and injected timers.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { RunStore } from '../engine/runStore';
import type { StoreHealth } from '../engine/sharedStore';
import { Throttle, realTimers, type Timers } from './util/throttle';

/** How often changes other processes make to the store (CLI runs) are picked up, at most. */
const STORE_REFRESH_MS = 150;
/** How often to check whether the processes owning unfinished runs are still alive. */
const OWNER_CHECK_MS = 3000;
/** While the store's folder cannot be watched: how often it is looked at instead, and watching tried again. */
export const UNWATCHED_POLL_MS = 2000;

/** Index files of the embedded store: a change to one of them means another process changed the history. */
const INDEX_FILE = /^(index-\d+|snapshot-\d+)\.jsonl$/;

export interface StoreWatchOptions {
  /** Runs created, changed or deleted by another process (or marked Crashed because theirs died). */
  onChange(ids: readonly string[]): void;
  /** A shared (Postgres) store became unreachable, or reachable again. */
  onHealth(health: StoreHealth): void;
  note(message: string, level: 'WARNING'): void;
  timers?: Timers;
  /** fs.watch (tests give one that fails, as the system's watch limit makes it fail). */
  watchFolder?: (path: string, options: { persistent: boolean }, listener: (event: string, file: string | null) => void) => FSWatcher;
}

export class StoreWatch {
  private watcher?: FSWatcher;
  private unwatchShared?: () => void;
  private ownerCheck?: NodeJS.Timeout;
  /** Set while the folder is not watched: the next look (and try to watch it again). */
  private unwatchedPoll?: unknown;
  private readonly timers: Timers;
  private readonly storeRefresh: Throttle;
  private readonly stopListening: () => void;
  private disposed = false;

  constructor(
    private readonly store: RunStore,
    private readonly options: StoreWatchOptions,
  ) {
    this.timers = options.timers ?? realTimers;
    this.storeRefresh = new Throttle(STORE_REFRESH_MS, () => void this.refresh(), this.timers);
    // Told of every look, not only this watch's own: the window's scheduler looks at the store every few
    // seconds, and a change it picked up first would otherwise never reach the views.
    this.stopListening = store.onRunsChanged((ids) => this.options.onChange(ids));
    this.watchStore();
    this.watchForDeadOwners();
  }

  /**
   * Watches the store's folder for changes to its index (runs other processes create or end); the
   * journals of running runs change all the time and are not what the views list.
   */
  private watchStore(): void {
    const store = this.store;
    if (store.shared) {
      // Postgres pushes changes (LISTEN/NOTIFY): nothing to watch on disk, nothing polled.
      this.unwatchShared = store.shared.watch({ runs: () => this.storeRefresh.schedule(), health: (h) => this.options.onHealth(h) });
      return;
    }
    this.watchFolder(join(store.home, 'runs'));
  }

  private watchFolder(runsDir: string): void {
    if (this.disposed) return;
    let watcher: FSWatcher;
    try {
      watcher = (this.options.watchFolder ?? watch)(runsDir, { persistent: false }, (_event, file) => {
        if (file === null || INDEX_FILE.test(file)) this.storeRefresh.schedule();
      });
    } catch (e) {
      this.unwatched(runsDir, e as Error);
      return;
    }
    watcher.on('error', (e) => {
      watcher.close();
      if (this.watcher === watcher) this.watcher = undefined;
      this.unwatched(runsDir, e);
    });
    this.watcher = watcher;
    if (this.unwatchedPoll !== undefined) {
      this.unwatchedPoll = undefined;
      this.options.note(`Watching ${runsDir} again: runs made outside this window show as they change`, 'WARNING');
    }
  }

  /**
   * The folder cannot be watched (the system's limit on watches reached, the folder replaced): the store
   * is looked at every few seconds instead, and watching tried again each time, so the views never stop
   * following other processes' runs.
   */
  private unwatched(runsDir: string, e: Error): void {
    if (this.disposed) return;
    if (this.unwatchedPoll === undefined) {
      this.options.note(`Cannot watch ${runsDir} (${e.message}): runs made outside this window are looked for every ${UNWATCHED_POLL_MS / 1000} s until it can be watched again`, 'WARNING');
    }
    // What changed while nobody was watching is picked up now, and again at every try.
    this.storeRefresh.schedule();
    this.unwatchedPoll = this.timers.setTimeout(() => {
      this.storeRefresh.schedule();
      this.watchFolder(runsDir);
    }, UNWATCHED_POLL_MS);
  }

  /**
   * Picks up what other processes wrote to the store (the watcher calls this too), and marks runs whose
   * process died without a word — a killed CLI run writes nothing the watcher could see — as Crashed.
   */
  async refresh(): Promise<void> {
    if (this.disposed) return;
    const store = this.store;
    try {
      // What they find is told to the listener set up above.
      await store.refresh();
      await store.markCrashed();
      this.watchForDeadOwners();
    } catch (e) {
      this.options.note(`Could not read the run history at ${store.location}: ${(e as Error).message}`, 'WARNING');
    }
  }

  /** While another process has runs in flight, looks every few seconds whether it is still alive. */
  private watchForDeadOwners(): void {
    const store = this.store;
    if (this.ownerCheck || this.disposed || !store.hasUnfinishedRuns()) return;
    this.ownerCheck = setInterval(() => {
      if (this.disposed || !store.hasUnfinishedRuns()) {
        clearInterval(this.ownerCheck);
        this.ownerCheck = undefined;
        return;
      }
      void store.markCrashed().catch(() => undefined);
    }, OWNER_CHECK_MS);
    this.ownerCheck.unref?.();
  }

  dispose(): void {
    this.disposed = true;
    this.stopListening();
    this.storeRefresh.dispose();
    clearInterval(this.ownerCheck);
    this.ownerCheck = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    if (this.unwatchedPoll !== undefined) this.timers.clearTimeout(this.unwatchedPoll);
    this.unwatchShared?.();
    this.unwatchShared = undefined;
  }
}
