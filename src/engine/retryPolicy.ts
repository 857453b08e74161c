/** Retry delays: a number, a list indexed by attempt, or a function; with optional jitter. */

import type { RetryDelay } from './types';

/**
 * Seconds to wait before retry number `retry` (1 for the first retry). A list shorter than the number
 * of retries repeats its last entry, as Prefect does.
 */
export function retryDelaySeconds(delay: RetryDelay | undefined, retry: number, jitterFactor = 0, random = Math.random): number {
  let base: number;
  if (delay === undefined) base = 0;
  else if (typeof delay === 'number') base = delay;
  else if (typeof delay === 'function') base = delay(retry);
  else base = delay.length === 0 ? 0 : delay[Math.min(retry - 1, delay.length - 1)]!;
  if (typeof base !== 'number' || !Number.isFinite(base) || base < 0) {
    throw new TypeError(`retryDelaySeconds gave ${String(base)} for retry ${retry}; it must be a number ≥ 0`);
  }
  if (jitterFactor > 0) {
    base = base * (1 + jitterFactor * (2 * random() - 1));
  }
  return Math.max(0, base);
}

/** Prefect's `exponential_backoff(backoff_factor)`: `factor * 2 ** (retry - 1)` seconds. */
export function exponentialBackoff(factor: number): (retry: number) => number {
  return (retry) => factor * 2 ** (retry - 1);
}
