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

/** Index files of the embedded store: a change to one of them means another process changed the history. */
const INDEX_FILE = /^(index-\d+|snapshot-\d+)\.jsonl$/;

export interface StoreWatchOptions {
  /** Runs created, changed or deleted by another process (or marked Crashed because theirs died). */
  onChange(ids: readonly string[]): void;
  /** A shared (Postgres) store became unreachable, or reachable again. */
  onHealth(health: StoreHealth): void;
  note(message: string, level: 'WARNING'): void;
  timers?: Timers;
}

export class StoreWatch {
  private watcher?: FSWatcher;
  private unwatchShared?: () => void;
  private ownerCheck?: NodeJS.Timeout;
  private readonly storeRefresh: Throttle;
  private readonly stopListening: () => void;
  private disposed = false;

  constructor(
    private readonly store: RunStore,
    private readonly options: StoreWatchOptions,
  ) {
    this.storeRefresh = new Throttle(STORE_REFRESH_MS, () => void this.refresh(), options.timers ?? realTimers);
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
    const runsDir = join(store.home, 'runs');
    try {
      this.watcher = watch(runsDir, { persistent: false }, (_event, file) => {
        if (file === null || INDEX_FILE.test(file)) this.storeRefresh.schedule();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch (e) {
      this.options.note(`Runs made outside this window will show after a refresh: cannot watch ${runsDir} (${(e as Error).message})`, 'WARNING');
    }
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
    this.unwatchShared?.();
    this.unwatchShared = undefined;
  }
}
