/**
 * Which crashed runs are resumed by themselves: a flow run of its own (not a subflow run) of a flow with
 * `resumeOnCrash`, whose host died while it ran (markCrashed's message) — what `resumeCrashed()` takes up.
 * `serve` and the editor look at each run they see turn Crashed (onRunsChanged), whoever marked it — another
 * serve, a window, a CLI command opening the store — so a run is resumed at once, not when they next mark
 * crashes themselves; the resume's claim keeps it once across every process. A schedule's run that never
 * started is not one: its scheduler takes its slot over or lets it go (neverStartedSlot.ts).
 */
import { readChangedRuns } from './changedRuns';
import { finishedLog } from './finishedLog';
import { ENGINE_SOURCE } from './logFormat';
import type { FlowRunSummary, RunRecord } from './records';
import { attemptKey } from './resumePlan';
import { CRASHED_HOST_MESSAGE, type RunStore } from './runStore';
import { neverStartedSlot } from './schedules/neverStartedSlot';
import { stateRecord } from './stateRecord';
import { state } from './states';

export function isToResume(r: FlowRunSummary): boolean {
  return r.state.type === 'CRASHED' && r.parentRunId === undefined && r.resumeOnCrash === true && r.state.message === CRASHED_HOST_MESSAGE && neverStartedSlot(r) === undefined;
}

/** Whether any of the runs `ids` names (those that changed: read alone, each once) is one to resume; one not read is none. */
export async function anyToResume(store: RunStore, ids: readonly string[]): Promise<boolean> {
  return (await readChangedRuns(store, ids)).runs.some(isToResume);
}

/**
 * Cancels a run a host would resume by itself (isToResume): nothing runs it until then, so that resume is
 * cancelled here and now, as a resume cancelled while it takes a run over is — its next attempt begins
 * (AwaitingRetry) and ends Cancelled before any of its code runs, under that attempt's claim — and no host
 * resumes it (by hand it can be, from its checkpoints, as any cancelled run). Before, `flowdeck cancel` said
 * it had ended, and the next host to open the store ran its code again. False when it is not one (any
 * more), or a resume holds it (the request then goes to that resume).
 */
export async function cancelCrashResume(store: RunStore, runId: string, reason: string): Promise<boolean> {
  const run = await store.get(runId);
  if (!run || !isToResume(run)) return false;
  const claim = attemptKey(run.id, run.attempt + 1);
  if (!(await store.claim(claim))) return false;
  try {
    // Read again under the claim: a resume that took it meanwhile has moved it on.
    await store.refresh();
    const current = await store.get(run.id);
    if (!current || !isToResume(current) || current.attempt !== run.attempt) return false;
    const attempt = current.attempt + 1;
    const begun = state('AwaitingRetry', `Resuming after its host ended (resumeOnCrash) (attempt ${attempt})`);
    const end = state('Cancelled', reason);
    const handle = await store.openRun(run.id);
    try {
      const record = stateRecord(run.id, end);
      const note: RunRecord = { k: 'log', runId: run.id, ts: end.timestamp, level: 'INFO', source: ENGINE_SOURCE, message: `Cancelled before its host resumed it (resumeOnCrash): attempt ${attempt} ran nothing` };
      await handle.append([{ ...stateRecord(run.id, begun), attempt }, note, record, finishedLog(run.name, record)]);
      await handle.setState(begun, { attempt });
      await handle.setState(end, { endTime: end.timestamp });
    } finally {
      await handle.close();
    }
    return true;
  } finally {
    await store.unclaim(claim);
  }
}
