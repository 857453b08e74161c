/**
 * The row a click has just selected, read through a redraw. When a tree's list is redrawn as a whole,
 * VS Code's extension host forgets every row it was handed (extHostTreeViews: `_addAllToClear`) until the
 * editor reads the rows again; meanwhile `TreeView.selection` is empty, though the row shows selected. A
 * click on a run's row just as the list was redrawn (a run ending, a new run starting) then ran the row's
 * command with no selection, and opened nothing. The command looks again while the view is being read,
 * for a bounded time. No vscode import: the waiting is tested on its own.
 */

export interface SelectionWait {
  /** How long to keep looking at most. */
  readonly boundMs: number;
  /** How long between two looks. */
  readonly stepMs: number;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * `look()` now; when it finds nothing while the view is being redrawn, again every `stepMs` until it finds
 * the row or `boundMs` has passed. Without a redraw going on, an empty selection is taken as it is.
 */
export async function selectionAfterRedraw<T>(look: () => T | undefined, redrawing: () => boolean, wait: SelectionWait): Promise<T | undefined> {
  let found = look();
  if (found !== undefined || !redrawing()) return found;
  const deadline = wait.now() + wait.boundMs;
  while (found === undefined && wait.now() < deadline) {
    await wait.sleep(wait.stepMs);
    found = look();
  }
  return found;
}
