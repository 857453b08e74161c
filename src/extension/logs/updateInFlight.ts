/**
 * One update of a document in flight at a time. VS Code applies a content provider's change by diffing the
 * whole new text against the open document in its editor worker, and a change that comes before that diff
 * is done cancels it (MainThreadDocumentContentProviders `$onVirtualDocumentChange`). A run's log growing by
 * a few thousand lines a second made its document (60,000 lines) take longer to diff than the time between
 * two updates: each cancelled the one before, and the document stayed as it was for minutes while the
 * editor worked for nothing. The next update is sent once the last one has reached the document (its change
 * event), or after `staleMs` — a document closed, or an update that changed nothing, sends no event. An
 * update sent while no document is open (before the editor has opened it) awaits nothing: VS Code drops it.
 * No vscode import: tested on its own.
 */
import type { Timers } from '../util/throttle';

export class UpdateInFlight {
  private sent = false;
  private wanted = false;
  private timer: unknown;
  private disposed = false;

  constructor(
    /** Sends an update; false when none will land (no document is open: the next opening reads the whole text). */
    private readonly send: () => boolean,
    private readonly staleMs: number,
    private readonly timers: Timers,
  ) {}

  /** An update is wanted: sent now when none is in flight, else as soon as the one in flight has landed. */
  request(): void {
    if (this.disposed) return;
    if (this.sent) this.wanted = true;
    else this.fire();
  }

  /** The document changed: the update in flight has reached it. */
  landed(): void {
    if (!this.sent) return;
    this.sent = false;
    this.timers.clearTimeout(this.timer);
    if (this.wanted && !this.disposed) {
      this.wanted = false;
      this.fire();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.timers.clearTimeout(this.timer);
  }

  private fire(): void {
    this.sent = this.send();
    if (this.sent) this.timer = this.timers.setTimeout(() => this.landed(), this.staleMs);
  }
}
