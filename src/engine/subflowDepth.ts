/**
 * How deep subflow runs may nest. A flow that calls itself (directly or through others) without a base case
 * would otherwise create runs until the process is stopped — thousands a minute, each a run on record. The
 * chain of a subflow call's parents is all in the worker that runs it (every ancestor is a run of the same
 * execution), so its depth is counted there, without reading the store.
 */

/** At most this many flow runs in one chain: the root run is level 1, its subflow runs level 2, and so on. */
export const MAX_SUBFLOW_DEPTH = 100;

/**
 * The level a new subflow run would be at under `parentRunId`: one more than its parent's, counting the
 * parents `parentOf` knows (it gives a run's parent id, undefined for a root run).
 */
export function subflowLevel(parentRunId: string, parentOf: (runId: string) => string | undefined): number {
  let level = 2;
  for (let id = parentOf(parentRunId); id !== undefined; id = parentOf(id)) level++;
  return level;
}

/** The error of a subflow call that would nest deeper than the limit; no run is created for it. */
export function tooDeepError(flowName: string, level: number, limit = MAX_SUBFLOW_DEPTH): Error {
  return new Error(`subflow '${flowName}' would nest ${level} levels deep (at most ${limit}): a flow that calls itself without end? call it in a loop instead`);
}
