/**
 * The timers the engine sets (a held output line's, a flow's notice window), injectable: tests pass their own
 * and fire them by hand instead of waiting.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's, unref'd: a pending timer never keeps the process alive (what it was for is let go as it exits). */
export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
