/**
 * A shared (Postgres) store that could not be opened — the database down as the window opened — is tried
 * again every REOPEN_MS until it opens: the views catch up by themselves once the database is back, and
 * meanwhile the window says the store is unreachable (as it does when it is lost after opening). Without
 * it, a failed open was tried again only when something asked for the store (Refresh Runs). Apart from
 * vscode, so it is tested with injected timers.
 */
import { isUnreachable } from '../engine/postgres/connection';
import type { StoreHealth } from '../engine/sharedStore';
import { realTimers, type Timers } from './util/throttle';

/** How long after a failed open the store is tried again. */
export const REOPEN_MS = 5000;

export class StoreReopen {
  private timer?: unknown;
  private down = false;
  private disposed = false;

  constructor(
    /** Opens the store; a failure is reported back through `failed`. */
    private readonly open: () => Promise<unknown>,
    private readonly onHealth: (health: StoreHealth) => void,
    private readonly timers: Timers = realTimers,
  ) {}

  /**
   * The open failed. The database out of reach: the store is said unreachable and tried again in REOPEN_MS
   * (one try pending at most). Refused otherwise (a wrong password, no such database): not tried again — the
   * error says what to fix, and the store opens once the setting changes.
   */
  failed(e: unknown): void {
    if (this.disposed || !isUnreachable(e)) return;
    this.down = true;
    this.onHealth({ ok: false, message: (e as Error).message });
    if (this.timer !== undefined) return;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (!this.disposed) void this.open().catch(() => undefined);
    }, REOPEN_MS);
  }

  /** The store opened (on a try of this or any other caller's): reachable again if it was said not to be. */
  opened(): void {
    this.cancel();
    if (this.down && !this.disposed) this.onHealth({ ok: true });
    this.down = false;
  }

  /** No more tries (the settings changed, or the window closes). */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.cancel();
    this.disposed = true;
  }
}
