/**
 * Runs a process marked Crashed (their host died: a `serve` killed, a window closed) that nobody watched — a
 * schedule's that had started, or one resumed by itself — and that are not resumed now (resumeOnCrash): their
 * end is told as their host would have told it, by the one process that claims telling it.
 */
import type { FlowRunSummary } from '../records';
import { CRASHED_HOST_MESSAGE, type RunStore } from '../runStore';

/**
 * Of the runs `ids` names (those markCrashed() just marked: read alone, not every Crashed run in the store),
 * those to tell of, each claimed `crash-notice:<id>` by this process.
 */
export async function crashedUnwatched(store: RunStore, ids: readonly string[]): Promise<FlowRunSummary[]> {
  const told: FlowRunSummary[] = [];
  for (const id of new Set(ids)) {
    const r = await store.get(id);
    if (r?.id !== id || r.parentRunId || r.state.type !== 'CRASHED' || r.startTime === undefined) continue;
    if (r.trigger?.kind !== 'schedule' && r.trigger?.kind !== 'resume') continue;
    if (r.resumeOnCrash && r.state.message === CRASHED_HOST_MESSAGE) continue;
    // Two processes on the embedded store may both mark a run in the same moment: a claim picks the one that tells.
    if (await store.claim(`crash-notice:${r.id}`)) told.push(r);
  }
  return told;
}
