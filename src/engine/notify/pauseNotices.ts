/**
 * The pauses of runs a `serve` ran (pauseFlowRun, suspendFlowRun), told at least once as their ends are
 * (noticeMarks.ts). A suspended run outlives the `serve` that ran it — nothing holds it while it waits, maybe for
 * days — so a `serve` killed before the webhook took its notice leaves it to the next `serve` to start
 * (pausesUntold). A run paused in its process is marked Crashed once its `serve` died, and its pause is not
 * told again: it no longer waits.
 */
import type { FlowRunSummary } from '../records';
import type { RunStore } from '../runStore';
import { CRASHED_LOOK_BACK_RUNS } from './crashedUnwatched';
import { noticeMarks, noticeNotTold, noticeTold, noticeToTell, untold, type NoticeClaim, type NoticeMarks } from './noticeMarks';

/**
 * The store's keys for the pause `run` is in (`pause-notice:<id>:<attempt>:<when it paused>`, …): as the notice's
 * id, by when it paused, so a run paused again (resumed meanwhile) is told of its new pause.
 */
function marks(run: Pick<FlowRunSummary, 'id' | 'attempt' | 'state'>): NoticeMarks {
  return noticeMarks('pause', run.id, `${run.attempt}:${run.state.timestamp}`);
}

/** `run`'s pause is to be told by this process: marked so and claimed, before its notice goes. */
export function pauseToTell(store: RunStore, run: FlowRunSummary): Promise<void> {
  return noticeToTell(store, marks(run));
}

/** The notice of `run`'s pause went through: marked told for good, and the claim given back. */
export function pauseTold(store: RunStore, run: FlowRunSummary): Promise<void> {
  return noticeTold(store, marks(run));
}

/** The notice of `run`'s pause was given up: the claim is given back, for the next serve to start. */
export function pauseNotTold(store: RunStore, run: FlowRunSummary): Promise<void> {
  return noticeNotTold(store, marks(run));
}

/** The claim on `run`'s pause this process took (pauseToTell, pausesUntold), settled as its notice went or was given up. */
export function pauseClaim(store: RunStore, run: FlowRunSummary): NoticeClaim {
  return { run, told: () => pauseTold(store, run), notTold: () => pauseNotTold(store, run) };
}

/**
 * The runs waiting now (the newest CRASHED_LOOK_BACK_RUNS, subflows too) in a pause whose notice was to be told
 * and was not, by a process that died or gave it up: each claimed by this process, to be told again. However
 * long ago it paused: the run still waits.
 */
export async function pausesUntold(store: RunStore): Promise<FlowRunSummary[]> {
  return untold(store, await store.list({ stateTypes: ['PAUSED'], limit: CRASHED_LOOK_BACK_RUNS }), marks);
}
