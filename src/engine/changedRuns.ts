/**
 * The runs a change names (onRunsChanged's ids, or those a process marked Crashed), each read once by id —
 * not every run in the store. What `serve` decides of a run it sees turn Crashed, to resume it
 * (crashedToResume.ts) and to tell of it (crashedUnwatched.ts), is decided on the same read.
 */
import type { FlowRunSummary } from './records';
import type { RunStore } from './runStore';

export interface ChangedRuns {
  /** The runs read, in the order named, each once; a run gone meanwhile (deleted) is not among them. */
  runs: FlowRunSummary[];
  /** The first read that failed: its run is not among `runs`, the others are. */
  error?: Error;
}

export async function readChangedRuns(store: RunStore, ids: readonly string[]): Promise<ChangedRuns> {
  const runs: FlowRunSummary[] = [];
  let error: Error | undefined;
  for (const id of new Set(ids)) {
    try {
      const r = await store.get(id);
      // `get` takes a name or an id's prefix too: only the run of that very id is the one that changed.
      if (r?.id === id) runs.push(r);
    } catch (e) {
      error ??= e instanceof Error ? e : new Error(String(e));
    }
  }
  return { runs, error };
}
