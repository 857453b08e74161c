/**
 * Errors Flowdeck throws into a run's code, for `instanceof` checks in a flow: TimeoutError when the run's
 * time ran out, CancelledError when the run was cancelled. The run's AbortSignal carries them as its
 * `reason` too. PauseTimeoutError when a paused run was not resumed in time.
 */

/** Thrown into a run whose time ran out (its `timeoutSeconds`). */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** Thrown into a run that was cancelled (Ctrl-C, Cancel Run, SIGTERM). */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
}

/** Thrown by `pauseFlowRun` when nobody resumed the run within its `timeoutSeconds`. */
export class PauseTimeoutError extends Error {
  override readonly name = 'PauseTimeoutError';
}
