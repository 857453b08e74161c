/**
 * One HTTP request's time bound joined to its caller's signal (a run's cancel or timeout), for fetch.
 *
 * Not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on Node 20 the joined signal holds its sources
 * weakly, and the timeout signal, referenced by nothing else, is dropped by a garbage collection and never
 * fires — a notice POST to a server that never answered, joined so, was still waiting after 4 s of a 0.3 s bound.
 * Here the timer holds the controller it aborts, and the caller's signal holds its listener until `done()` or
 * the deadline.
 */

export interface RequestDeadline {
  /** Aborts at the deadline (with `reason()`) or when the caller's signal does (with its reason). */
  signal: AbortSignal;
  /** Whether the deadline fired (not the caller's signal). */
  readonly expired: boolean;
  /** The request is over, its answer read: stops the clock and lets go of the caller's signal. */
  done(): void;
}

export function requestDeadline(ms: number, outer: AbortSignal | undefined, reason: () => unknown): RequestDeadline {
  const controller = new AbortController();
  let expired = false;
  const onOuterAbort = () => controller.abort(outer?.reason);
  // Unref'd like AbortSignal.timeout's timer: a request forgotten without done() does not keep the process up.
  const done = () => {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  };
  const timer = setTimeout(() => {
    expired = true;
    done();
    controller.abort(reason());
  }, ms);
  timer.unref();
  if (outer?.aborted) {
    done();
    controller.abort(outer.reason);
  } else {
    outer?.addEventListener('abort', onOuterAbort, { once: true });
  }
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    done,
  };
}
