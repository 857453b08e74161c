/**
 * Cancellation and timeouts as AbortSignals, and how long user code is waited for once one fires.
 */

import { CancelledError, TimeoutError } from '../runErrors';
import { setLongTimeout } from './longTimeout';

export { CancelledError, TimeoutError } from '../runErrors';

export const rootController = new AbortController();

/** Cancels everything running in this worker. */
export function cancelAll(reason: string): void {
  rootController.abort(new CancelledError(reason));
}

/** Runs `fn` in a run's context, so abort listeners know which run they belong to. */
export type RunIn = (fn: () => void) => void;

/**
 * Children of each parent signal, aborted through one listener per parent: thousands of concurrent task
 * runs would otherwise each add and remove a listener on the same signal, which costs O(n) per removal.
 * Each child is aborted inside its run's context (`runIn`), so `getRunContext()` and the logger work in
 * abort listeners and what they log belongs to that run.
 */
const children = new WeakMap<AbortSignal, Map<AbortController, RunIn | undefined>>();

export function childController(parent: AbortSignal, runIn?: RunIn): AbortController {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return controller;
  }
  let set = children.get(parent);
  if (!set) {
    const created = new Map<AbortController, RunIn | undefined>();
    children.set(parent, (set = created));
    parent.addEventListener(
      'abort',
      () => {
        for (const [c, run] of created) {
          if (run) run(() => c.abort(parent.reason));
          else c.abort(parent.reason);
        }
        created.clear();
      },
      { once: true },
    );
  }
  set.set(controller, runIn);
  return controller;
}

export function releaseController(parent: AbortSignal, controller: AbortController): void {
  children.get(parent)?.delete(controller);
}

/**
 * Calls `fn` when `signal` fires, through the signal's one fan-out listener (childController) rather than a
 * listener of its own: a map's hundred task runs waiting on one run's signal (a slot, a retry's delay)
 * would otherwise add a hundred, and Node warns of a leak past ten — a warning the run's log showed as an
 * error. Returns the function that stops listening. `signal` must not have fired yet.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  const watcher = childController(signal);
  watcher.signal.onabort = fn;
  return () => releaseController(signal, watcher);
}

export interface Scoped {
  signal: AbortSignal;
  dispose(): void;
  /** Epoch ms when the timeout fires. */
  deadline?: number;
}

/** A signal that fires when the parent does or after `timeoutSeconds`, whichever comes first. */
export function scopedSignal(parent: AbortSignal, timeoutSeconds: number | undefined, what: string, runIn?: RunIn): Scoped {
  // Without a timeout there is nothing of its own to abort: share the parent's signal.
  if (timeoutSeconds === undefined || timeoutSeconds <= 0) return { signal: parent, dispose: () => undefined };
  const controller = childController(parent, runIn);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const fire = (): void => controller.abort(new TimeoutError(`${what} exceeded timeout of ${timeoutSeconds} second(s)`));
  const clearTimer = setLongTimeout(() => (runIn ? runIn(fire) : fire()), timeoutSeconds * 1000);
  return {
    signal: controller.signal,
    deadline,
    dispose: () => {
      clearTimer();
      releaseController(parent, controller);
    },
  };
}

/** Waits `ms`, rejecting early with the signal's reason. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const clearTimer = setLongTimeout(() => {
      stop();
      resolve();
    }, ms);
    const stop = onAbort(signal, () => {
      clearTimer();
      reject(signal.reason);
    });
  });
}

/** What happens to code that has not stopped `graceMs` after its signal fired. */
export type Unsettled = (reason: unknown) => void;

/**
 * Runs one attempt of `fn`. When `signal` fires first, the code is given `graceMs` to stop (its
 * `finally` blocks run, cleanup awaits finish); then the attempt rejects with the signal's reason. Code
 * still running after the grace is handed to `onUnsettled` — which, for a timeout, ends the process, so
 * that code never gets to do anything after its run was recorded as timed out.
 */
export function attempt<R>(fn: () => R | Promise<R>, signal: AbortSignal, graceMs: (reason: unknown) => number, onUnsettled: Unsettled): Promise<R> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const watcher = childController(signal);
    const work = Promise.resolve().then(fn);
    void work.then(
      (v) => {
        settled = true;
        releaseController(signal, watcher);
        if (!signal.aborted) resolve(v);
      },
      (e: unknown) => {
        settled = true;
        releaseController(signal, watcher);
        if (!signal.aborted) reject(e);
      },
    );
    watcher.signal.onabort = () => {
      const reason = signal.reason as unknown;
      if (settled) {
        reject(reason);
        return;
      }
      const timer = setTimeout(() => {
        if (!settled) onUnsettled(reason);
        reject(reason);
      }, graceMs(reason));
      void work.then(
        () => {
          clearTimeout(timer);
          reject(reason);
        },
        () => {
          clearTimeout(timer);
          reject(reason);
        },
      );
    };
  });
}
