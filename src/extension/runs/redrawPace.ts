/**
 * How often Flowdeck's tree views (Runs, Workers) tell VS Code that rows changed. VS Code's extension host passes a tree's
 * changes on through a debounce of 200 ms that fires at once after a quiet spell and otherwise only once
 * 200 ms have passed without a change (extHostTreeViews: `Event.debounce(…, 200, true)`, the same in VS
 * Code 1.100 and 1.139). Changes told more often than that never reach the view while they keep coming: a
 * busy run's changes, told every 150 ms, froze the whole view — its rows, its counts, runs started
 * meanwhile — until the run went quiet. Told at most every REDRAW_MS, each change finds the debounce quiet
 * and is passed on at once. Setting a view's message goes through the same debounce and restarts its wait,
 * so it is set only when it changes (`setViewMessage`). No vscode import: the pace is tested against that
 * debounce.
 */

/** VS Code's debounce of a tree view's changes (extHostTreeViews). */
export const VSCODE_TREE_DEBOUNCE_MS = 200;

/** At most one redraw of a tree view this often: the debounce's 200 ms and a margin for late timers. */
export const REDRAW_MS = 300;

/** Sets the line above a tree view's rows when it differs from the one shown (see above). */
export function setViewMessage(view: { message?: unknown } | undefined, message: string | undefined): void {
  if (view && view.message !== message) view.message = message;
}
