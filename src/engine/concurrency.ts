/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results in input order. After a failure no
 * more calls start, and the promise rejects with that failure.
 */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number | undefined, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const n = items.length;
  if (!limit || limit >= n) return Promise.all(items.map(fn));
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${limit}`);
  const results = new Array<R>(n);
  let next = 0;
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < n) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
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
 * Runs `fn` over every item as if all started at once (`Promise.all(items.map(fn))`: a failure rejects
 * at once and the other calls still run), but with at most `window` calls started and unsettled at a
 * time, so a million items do not hold a million calls' state in memory together. Results in input order.
 */
export function mapAll<T, R>(items: readonly T[], window: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const n = items.length;
  if (n <= window) return Promise.all(items.map(fn));
  return new Promise<R[]>((resolve, reject) => {
    const results = new Array<R>(n);
    let next = 0;
    let settled = 0;
    let failed = false;
    const start = (): void => {
      const i = next++;
      let call: Promise<R>;
      try {
        call = fn(items[i]!, i);
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
    const done = (): void => {
      settled++;
      if (next < n) start();
      else if (settled === n && !failed) resolve(results);
    };
    for (let k = 0; k < window; k++) start();
  });
}
