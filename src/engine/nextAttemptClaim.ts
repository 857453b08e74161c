/**
 * A resume claims the run's next attempt before its flow loads: one resume takes it, a second is refused.
 * But the claim is taken for a moment by what is no resume — the end of the run's last attempt clearing its
 * results folders (runner.ts dropUnrecordedResults), a delete finding the run resumable, a suspension's
 * expiry — and a resume begun in that instant was refused as "resumed meanwhile" (trying again worked). So
 * a claim found taken is tried again for a few seconds, while the run has not moved on: a resume that took
 * it over (its attempt past the one seen) holds it for good, and is not waited for.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { attemptKey } from './resumePlan';
import type { RunStore } from './runStore';

/** How long a claim that is no resume's is waited for: such a claim lasts milliseconds, a loaded machine's a second. */
export const PASSING_CLAIM_MS = 3000;

/**
 * Claims attempt `run.attempt + 1` of the run; false when another resume has it (it took the run over, or
 * held the claim past `waitMs`) or `signal` aborted meanwhile.
 */
export async function claimNextAttempt(store: Pick<RunStore, 'claim' | 'get' | 'refresh'>, run: { id: string; attempt: number }, signal?: AbortSignal, waitMs = PASSING_CLAIM_MS): Promise<boolean> {
  const key = attemptKey(run.id, run.attempt + 1);
  const deadline = Date.now() + waitMs;
  for (let pause = 25; ; pause = Math.min(2 * pause, 250)) {
    if (await store.claim(key)) return true;
    await store.refresh();
    const now = await store.get(run.id);
    // Gone: its delete's claim passes, and the resume finds it deleted (runner.ts).
    if (now !== undefined && now.attempt > run.attempt) return false;
    if (Date.now() + pause > deadline || signal?.aborted) return false;
    await delay(pause, undefined, signal ? { signal } : {}).catch(() => undefined);
  }
}
