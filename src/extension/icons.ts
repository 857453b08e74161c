/**
 * How each state looks, in one place: a codicon and a theme colour id. Pure (no `vscode`) so tests can
 * check it; tree nodes turn it into a ThemeIcon. The colours are the Testing view's, which every theme
 * defines, so a run reads like a test result.
 */
import type { State } from '../engine/states';

export interface IconSpec {
  /** Codicon id, `~spin` for the animated ones. */
  id: string;
  /** Theme colour id; undefined keeps the icon's foreground colour. */
  color?: string;
}

export function stateIcon(state: Pick<State, 'type' | 'name'>): IconSpec {
  switch (state.name) {
    case 'Completed':
      return { id: 'pass', color: 'testing.iconPassed' };
    case 'Cached':
      return { id: 'pass-filled', color: 'testing.iconPassed' };
    case 'Failed':
      return { id: 'error', color: 'testing.iconFailed' };
    case 'TimedOut':
      return { id: 'watch', color: 'testing.iconFailed' };
    case 'Crashed':
      return { id: 'flame', color: 'testing.iconErrored' };
    case 'Cancelled':
      return { id: 'circle-slash', color: 'testing.iconSkipped' };
    case 'Cancelling':
      return { id: 'sync~spin', color: 'testing.iconSkipped' };
    case 'Running':
    case 'Retrying':
      return { id: 'sync~spin' };
    case 'Pending':
      return { id: 'clock', color: 'testing.iconQueued' };
    case 'Scheduled':
    case 'Late':
      return { id: 'calendar', color: 'testing.iconQueued' };
    case 'AwaitingRetry':
      return { id: 'history', color: 'testing.iconQueued' };
    case 'Paused':
    case 'Suspended':
      return { id: 'debug-pause', color: 'testing.iconSkipped' };
  }
}

/** Icons of the items that are not runs. */
export const ITEM_ICONS = {
  flow: { id: 'symbol-event' },
  builtinGroup: { id: 'package' },
  fileError: { id: 'error', color: 'errorForeground' },
  flowProblem: { id: 'warning', color: 'problemsWarningIcon.foreground' },
  loadMore: { id: 'ellipsis' },
  summary: { id: 'checklist' },
} as const satisfies Record<string, IconSpec>;
