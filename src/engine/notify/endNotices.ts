/**
 * The ends of runs a `serve` watched (its schedules' runs, the runs it resumed), told at least once
 * (noticeMarks.ts): marked to be told and claimed before the notice goes, marked told once the webhook took
 * it; the next `serve` to start tells again those a `serve` that died (or gave them up) left (endsUntold).
 * The crash of a run whose host died is told the same way (crashedUnwatched.ts).
 */
import type { FlowRunSummary } from '../records';
import type { RunStore } from '../runStore';
import { CRASHED_LOOK_BACK_MS, CRASHED_LOOK_BACK_RUNS } from './crashedUnwatched';
import { noticeMarks, noticeNotTold, noticeTold, noticeToTell, untold, type NoticeClaim, type NoticeMarks } from './noticeMarks';

/** The store's keys for the end of `run`'s attempt (`end-notice:<id>:<attempt>`, …). */
function marks(run: Pick<FlowRunSummary, 'id' | 'attempt'>): NoticeMarks {
  return noticeMarks('end', run.id, String(run.attempt));
}

/** `run`'s end is to be told by this process: marked so and claimed, before its notice goes. */
export function endToTell(store: RunStore, run: FlowRunSummary): Promise<void> {
  return noticeToTell(store, marks(run));
}

/** The notice of `run`'s end went through: marked told for good, and the claim given back. */
export function endTold(store: RunStore, run: FlowRunSummary): Promise<void> {
  return noticeTold(store, marks(run));
}

/** The notice of `run`'s end was given up (the webhook kept refusing it): the claim is given back, for the next serve to start. */
export function endNotTold(store: RunStore, run: FlowRunSummary): Promise<void> {
  return noticeNotTold(store, marks(run));
}

/** The claim on `run`'s end this process took (endToTell, endsUntold), settled as its notice went or was given up. */
export function endClaim(store: RunStore, run: FlowRunSummary): NoticeClaim {
  return { run, told: () => endTold(store, run), notTold: () => endNotTold(store, run) };
}

/**
 * The runs ended lately (as far back as the crashed runs a starting serve looks at) whose end was to be told
 * and was not, by a process that died or gave it up: each claimed by this process, to be told again — in the
 * order they ended, as they were first told (the first of a flow's at once, the rest summed up to the latest).
 */
export async function endsUntold(store: RunStore, now: number): Promise<FlowRunSummary[]> {
  const endOf = (r: FlowRunSummary): number => r.endTime ?? r.state.timestamp;
  const runs = await store.list({ stateTypes: ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'], rootsOnly: true, limit: CRASHED_LOOK_BACK_RUNS });
  return untold(
    store,
    runs.filter((r) => endOf(r) >= now - CRASHED_LOOK_BACK_MS).sort((a, b) => endOf(a) - endOf(b)),
    marks,
  );
}
