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
  return new Promise<R[]>((resolve, reject) => {
    const results = new Array<R>(n);
    let limit = window;
    let next = 0;
    let settled = 0;
    let failed = false;
    const start = (): void => {
      const i = next++;
      let call: Promise<R>;
      try {
        call = fn(i);
      } catch (e) {
        call = Promise.reject(e);
      }
      call.then(
        (value) => {
          results[i] = value;
          done();
        },
        (e: unknown) => {
          if (!failed) {
            failed = true;
            reject(e);
          }
          done();
        },
      );
    };
    const fill = (): void => {
      while (next < n && next - settled < limit) start();
    };
    // Runs only once the loop turns with calls still unsettled: they are waiting, so more may wait together.
    const widen = wideWindow > window ? setImmediate(() => {
      limit = wideWindow;
      fill();
    }) : undefined;
    const done = (): void => {
      settled++;
      if (next < n) fill();
      else if (settled === n) {
        if (widen) clearImmediate(widen);
        if (!failed) resolve(results);
      }
    };
    fill();
  });
}
