/** `fn(0)` … `fn(n - 1)` all started at once. */
function allAtOnce<R>(n: number, fn: (index: number) => Promise<R>): Promise<R[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => fn(i)));
}

/**
 * Runs `fn(0)` … `fn(n - 1)` with at most `limit` calls in flight; results in index order. After a
 * failure no more calls start, and the promise rejects with that failure.
 */
export async function mapWithLimit<R>(n: number, limit: number | undefined, fn: (index: number) => Promise<R>): Promise<R[]> {
  if (!limit || limit >= n) return allAtOnce(n, fn);
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${limit}`);
  const results = new Array<R>(n);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < n) {
      const i = next++;
      try {
        results[i] = await fn(i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return results;
}

/**
 * Runs `fn(0)` … `fn(n - 1)` as if all started at once (`Promise.all`: a failure rejects at once and
 * the other calls still run), but with at most `window` calls started and unsettled at a time, so a
 * million calls do not hold a million calls' state in memory together. Results in index order.
 *
 * Calls that wait for something outside the process (I/O, timers) let the event loop turn while they are
 * unsettled: then up to `wideWindow` run at once, since more in flight is what makes waiting calls go
 * faster. Calls that settle without the loop turning (quick work, CPU) keep to `window`: more in flight
 * would change nothing for them but the state the garbage collector copies again and again.
 */
export function mapAll<R>(n: number, window: number, fn: (index: number) => Promise<R>, wideWindow = window): Promise<R[]> {
  if (n <= window) return allAtOnce(n, fn);
  return mapEach<R>(
    n,
    window,
    (i, ok, fail) => {
      let call: Promise<R>;
      try {
        call = fn(i);
      } catch (e) {
        call = Promise.reject(e);
      }
      call.then((value) => ok(i, value), fail);
    },
    wideWindow,
  );
}

/**
 * Starts call `index`, which reports its end by `ok(index, value)` or `fail(error)`, once, at once or
 * later: a call made of callbacks costs no promise of its own (a big map makes tens of thousands).
 */
export type StartCall<R> = (index: number, ok: (index: number, value: R) => void, fail: (error: unknown) => void) => void;

/** How many calls of a map have ended, and how many of those failed: read by whoever reports its progress. */
export interface MapProgress {
  settled: number;
  failed: number;
}

/** mapAll, for calls that report their end by callback; `progress` is kept up to date when given. */
export function mapEach<R>(n: number, window: number, start: StartCall<R>, wideWindow = window, progress?: MapProgress): Promise<R[]> {
  return new Promise<R[]>((resolve, reject) => {
    const results = new Array<R>(n);
    let limit = window;
    let next = 0;
    let settled = 0;
    let failed = false;
    let filling = false;
    const done = (): void => {
      settled++;
      if (progress) progress.settled = settled;
      if (next < n) fill();
      else if (settled === n) {
        if (widen) clearImmediate(widen);
        if (!failed) resolve(results);
      }
    };
    const ok = (i: number, value: R): void => {
      results[i] = value;
      done();
    };
    const fail = (e: unknown): void => {
      if (progress) progress.failed++;
      if (!failed) {
        failed = true;
        reject(e);
      }
      done();
    };
    // A call that ends while it starts ends inside this loop, which then goes on: no recursion.
    const fill = (): void => {
      if (filling) return;
      filling = true;
      try {
        while (next < n && next - settled < limit) {
          const i = next++;
          try {
            start(i, ok, fail);
          } catch (e) {
            fail(e);
          }
        }
      } finally {
        filling = false;
      }
    };
    // Runs only once the loop turns with calls still unsettled: they are waiting, so more may wait together.
    const widen: NodeJS.Immediate | undefined = n > window && wideWindow > window
      ? setImmediate(() => {
          limit = wideWindow;
          fill();
        })
      : undefined;
    if (n === 0) resolve(results);
    else fill();
  });
}
