/**
 * Who hears of run changes a store picked up. Looking at the store is a read of "what changed since the
 * last look", and several parts of one process look (an editor window's store watch, its scheduler, a
 * compaction): whichever looks first must not swallow a change the others wait for, so every look tells
 * every listener.
 */
export type RunChangeListener = (ids: readonly string[]) => void;

export class RunChanges {
  private readonly listeners = new Set<RunChangeListener>();

  /** Returns a function that stops `listener`. Listeners are called synchronously and must not throw. */
  listen(listener: RunChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  tell(ids: Iterable<string>): void {
    const list = [...ids];
    if (list.length === 0) return;
    for (const listener of [...this.listeners]) listener(list);
  }
}
