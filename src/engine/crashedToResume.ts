/**
 * Which crashed runs are resumed by themselves: a flow run of its own (not a subflow run) of a flow with
 * `resumeOnCrash`, whose host died while it ran (markCrashed's message) — what `resumeCrashed()` takes up.
 * `serve` and the editor look at each run they see turn Crashed (onRunsChanged), whoever marked it — another
 * serve, a window, a CLI command opening the store — so a run is resumed at once, not when they next mark
 * crashes themselves; the resume's claim keeps it once across every process. A schedule's run that never
 * started is not one: its scheduler takes its slot over or lets it go (neverStartedSlot.ts).
 */
import { readChangedRuns } from './changedRuns';
import type { FlowRunSummary } from './records';
import { CRASHED_HOST_MESSAGE, type RunStore } from './runStore';
import { neverStartedSlot } from './schedules/neverStartedSlot';

export function isToResume(r: FlowRunSummary): boolean {
  return r.state.type === 'CRASHED' && r.parentRunId === undefined && r.resumeOnCrash === true && r.state.message === CRASHED_HOST_MESSAGE && neverStartedSlot(r) === undefined;
}

/** Whether any of the runs `ids` names (those that changed: read alone, each once) is one to resume; one not read is none. */
export async function anyToResume(store: RunStore, ids: readonly string[]): Promise<boolean> {
  return (await readChangedRuns(store, ids)).runs.some(isToResume);
}
