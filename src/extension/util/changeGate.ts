/**
 * Lets a view redraw only when what it shows changed. A tree view's redraw is not free for the user: VS
 * Code drops the handles of the rows it had drawn, and a click on a row's inline action that lands then
 * reaches the command without its row (the Flows view's Run Flow then asked which flow). The sources a view
 * follows say "something may have changed" far more often than anything it shows does (a schedule planned,
 * a file saved with the same flows, the schedules' first reading at start-up), so each such word is checked
 * against what was drawn: the view's content as a signature, read again and compared.
 */
export class ChangeGate<T> {
  private shown?: string;
  private tail: Promise<void> = Promise.resolve();
  private queued = false;

  /**
   * @param read what the view would show now
   * @param signatureOf that, as text to compare
   * @param redraw tells the view what changed: `now`, the content read, to redraw from (the view may redraw
   *   only part of itself), or undefined when it could not be read (redraw it all)
   */
  constructor(
    private readonly read: () => Promise<T>,
    private readonly signatureOf: (content: T) => string,
    private readonly redraw: (now: T | undefined) => void,
  ) {}

  /** What the view has just been drawn from (its first drawing, or one the gate did not ask for). */
  drawn(signature: string): void {
    this.shown = signature;
  }

  /**
   * Something the view shows may have changed: redraws it if its signature differs from what was drawn.
   * Checks run one at a time; words arriving while one waits to start share it. A failed read redraws
   * (better a needless redraw than a stale view). Resolves once the check this word joined is done.
   */
  poke(): Promise<void> {
    if (!this.queued) {
      this.queued = true;
      this.tail = this.tail.then(() => {
        this.queued = false;
        return this.check();
      });
    }
    return this.tail;
  }

  private async check(): Promise<void> {
    let now: T | undefined;
    let signature: string | undefined;
    try {
      now = await this.read();
      signature = this.signatureOf(now);
    } catch {
      now = undefined;
      signature = undefined;
    }
    if (signature !== undefined && signature === this.shown) return;
    this.shown = signature;
    this.redraw(now);
  }
}
