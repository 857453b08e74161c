/**
 * A resume claims the run's next attempt before its flow loads: one resume takes it, a second is refused.
 * But the claim is taken for a moment by what is no resume — the end of the run's last attempt clearing its
 * results folders (runner.ts dropUnrecordedResults), a delete finding the run resumable, a suspension's
 * expiry — and a resume begun in that instant was refused as "resumed meanwhile" (trying again worked). So
 * a claim found taken is tried again for a few seconds, while the run has not moved on: a resume that took
 * it over (its attempt past the one seen) holds it for good, and is not waited for. A run sent to workers
 * (`resume --queue`, pgShared.resumeOnQueue) is refused alike while the claim is held, and waits alike.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { attemptKey } from './resumePlan';
import type { RunStore } from './runStore';

/** How long a claim that is no resume's is waited for: such a claim lasts milliseconds, a loaded machine's a second. */
export const PASSING_CLAIM_MS = 3000;

/**
 * Claims attempt `run.attempt + 1` of the run; false when another resume has it (it took the run over, or
 * held the claim past `waitMs`) or `signal` aborted between tries. Rejects with the signal's reason when it
 * fires while the store waits to take the claim (on a lock): nothing is claimed.
 */
export async function claimNextAttempt(store: Pick<RunStore, 'claim' | 'get' | 'refresh'>, run: { id: string; attempt: number }, signal?: AbortSignal, waitMs = PASSING_CLAIM_MS): Promise<boolean> {
  const key = attemptKey(run.id, run.attempt + 1);
  const got = await throughPassingClaim(
    async () => {
      // Given up (Ctrl-C) while it waits on the store, it rejects: nothing is claimed.
      if (await store.claim(key, signal ? { signal } : {})) return true;
      await store.refresh();
      const now = await store.get(run.id);
      // Gone: its delete's claim passes, and the resume finds it deleted (runner.ts).
      return now !== undefined && now.attempt > run.attempt ? false : CLAIM_TAKEN;
    },
    signal,
    waitMs,
  );
  return got === true;
}

/** What a try of throughPassingClaim gives when it found the run's next attempt claimed (and the run not moved on). */
export const CLAIM_TAKEN = Symbol('claim taken');

/**
 * `attempt` tried until it gives something else than CLAIM_TAKEN — again after a pause (25 ms, doubling to
 * 250 ms) while the claim may be a passing one, for up to `waitMs` or till `signal` aborts; then CLAIM_TAKEN.
 */
export async function throughPassingClaim<T>(attempt: () => Promise<T | typeof CLAIM_TAKEN>, signal?: AbortSignal, waitMs = PASSING_CLAIM_MS): Promise<T | typeof CLAIM_TAKEN> {
  const deadline = Date.now() + waitMs;
  for (let pause = 25; ; pause = Math.min(2 * pause, 250)) {
    const got = await attempt();
    if (got !== CLAIM_TAKEN) return got;
    if (Date.now() + pause > deadline || signal?.aborted) return CLAIM_TAKEN;
    await delay(pause, undefined, signal ? { signal } : {}).catch(() => undefined);
  }
}
