/**
 * A pause whose wait ran out (PauseTimeoutError) and that the flow went on past — it caught the error, then
 * called a task, a subflow or another pause — is recorded as such: a run resumed from its checkpoints (or
 * retried) that reaches the pause times out again at once and takes the same way, instead of asking anew
 * on a way the run did not take. One that the flow did not go on past (the error ended the attempt, or the
 * process died first) is not recorded, so a resume pauses again: nothing after it was done.
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
