/**
 * The ends of runs a `serve` watched (its schedules' runs, the runs it resumed), told at least once. Before its
 * notice goes, a run's end is marked to be told and its telling claimed, in the store; once the webhook took
 * it, marked told. A `serve` killed before that — while retrying against a webhook that is down, or holding
 * the notice within its flow's minute (notices.ts) — leaves the claim to the next `serve` to start, which
 * tells it again (endsUntold); one that gave the notice up gives the claim back for the next. The crash of a
 * run whose host died is told the same way (crashedUnwatched.ts).
 */
import type { FlowRunSummary } from '../records';
import type { RunStore } from '../runStore';
import { CRASHED_LOOK_BACK_MS, CRASHED_LOOK_BACK_RUNS } from './crashedUnwatched';

/** The store's keys for the end of `run`'s attempt: of the `<what>:<runId>:…` form, so they go with the run. */
function keys(run: Pick<FlowRunSummary, 'id' | 'attempt'>): { toTell: string; claim: string; told: string } {
  const at = `${run.id}:${run.attempt}`;
  return { toTell: `end-notice:${at}`, claim: `end-notice-claim:${at}`, told: `end-notice-told:${at}` };
}

/** `run`'s end is to be told by this process: marked so and claimed, before its notice goes. */
export async function endToTell(store: RunStore, run: FlowRunSummary): Promise<void> {
  const k = keys(run);
  await store.markOnce(k.toTell);
  await store.claim(k.claim);
}

/** The notice of `run`'s end went through: marked told for good, and the claim given back. */
export async function endTold(store: RunStore, run: FlowRunSummary): Promise<void> {
  const k = keys(run);
  await store.markOnce(k.told);
  await store.unclaim(k.claim);
}

/** The notice of `run`'s end was given up (the webhook kept refusing it): the claim is given back, for the next serve to start. */
export async function endNotTold(store: RunStore, run: FlowRunSummary): Promise<void> {
  await store.unclaim(keys(run).claim);
}

/**
 * The runs ended lately (as far back as the crashed runs a starting serve looks at) whose end was to be told
 * and was not, by a process that died or gave it up: each claimed by this process, to be told again.
 */
export async function endsUntold(store: RunStore, now: number): Promise<FlowRunSummary[]> {
  const runs = await store.list({ stateTypes: ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'], rootsOnly: true, limit: CRASHED_LOOK_BACK_RUNS });
  const untold: FlowRunSummary[] = [];
  for (const r of runs) {
    if ((r.endTime ?? r.state.timestamp) < now - CRASHED_LOOK_BACK_MS) continue;
    const k = keys(r);
    if (!(await store.isMarked(k.toTell)) || (await store.isMarked(k.told))) continue;
    // Held by a live process, it is on its way; the mark is looked at again once claimed (told meanwhile).
    if (!(await store.claim(k.claim)) || (await store.isMarked(k.told))) continue;
    untold.push(r);
  }
  return untold;
}
