/**
 * A pause whose wait ran out (PauseTimeoutError) and that the flow went on past — it caught the error, then
 * called a task, a subflow or another pause, or its attempt ended by another error (its own code after the
 * pause failed, the run was cancelled or timed out) — is recorded as such: a run resumed from its
 * checkpoints (or retried) that reaches the pause times out again at once and takes the same way, instead
 * of asking anew on a way the run did not take. One that the flow did not go on past (the attempt ended by
 * that error, or an error whose `cause` chain holds it, or the process died first) is not recorded, so a
 * resume pauses again: nothing after it was done.
 */
import type { FlowRunScope } from './context';
import { emit } from './hostLink';

export function recordTimedOutPause(scope: FlowRunScope): void {
  const t = scope.timedOut;
  if (t === undefined) return;
  scope.timedOut = undefined;
  emit({ k: 'input', runId: scope.id, key: t.key, ts: t.ts, value: {}, timedOut: true }, true);
  scope.answered.set(t.key, { value: {}, attempt: scope.attempt, ts: t.ts, timedOut: true });
}

/** Whether `error`, or an error in its `cause` chain, is `timeout` (a bounded walk: a chain may loop). */
function endedBy(error: unknown, timeout: Error): boolean {
  let e = error;
  for (let depth = 0; depth < 100 && e !== null && typeof e === 'object'; depth++) {
    if (e === timeout) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The attempt of the flow run of `scope` ended by `error`: a pause that timed out before it and that error is
 * not (the flow went on past it, and then failed, or was cancelled or timed out) is recorded.
 */
export function endOfAttemptAfterPause(scope: FlowRunScope, error: unknown): void {
  const t = scope.timedOut;
  if (t === undefined) return;
  if (endedBy(error, t.error)) {
    scope.timedOut = undefined;
    return;
  }
  recordTimedOutPause(scope);
}
