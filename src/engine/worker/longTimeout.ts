/**
 * A timer for any delay. Node's setTimeout holds at most 2^31 − 1 ms (~24.8 days) and fires a longer one
 * after 1 ms, with only a TimeoutOverflowWarning: a task's `timeoutSeconds` of 30 days timed it out at
 * once, and a retry delay that long retried at once. A longer delay is waited in steps.
 */

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fn` after `ms`; returns what cancels it. */
export function setLongTimeout(fn: () => void, ms: number): () => void {
  let timer: NodeJS.Timeout;
  const wait = (left: number): void => {
    timer = left > MAX_TIMER_MS ? setTimeout(() => wait(left - MAX_TIMER_MS), MAX_TIMER_MS) : setTimeout(fn, left);
  };
  wait(ms);
  return () => clearTimeout(timer);
}
