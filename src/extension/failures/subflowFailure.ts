/**
 * The failure a flow run took from a subflow run it awaited: its own Failed state says only `Subflow run 'x'
 * ended in state Failed('…')` and names that run (failedSubflowOf), and the line is in `x`'s journal — or
 * further down, when `x` failed the same way. The run details' failure card links there, Go to Failure goes
 * there, and so does the failure notification's.
 */
import type { FlowRunDetail, FlowRunSummary } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { readFailedRun } from './failedRun';
import { failedSubflowOf, failureSiteOf, type FailureSite } from './failureSite';

/** Subflows of subflows followed down at most this far. */
const MAX_DEPTH = 32;

export interface SubflowFailure {
  /** The subflow run the run awaited, which did not complete: the one the card links to. */
  run: FlowRunSummary;
  /** Where the failure is in the user's code, and which run's failure it is (this subflow run's, or one further down). */
  site?: FailureSite;
  /** That run's failure, as its journal has it. */
  failed?: FlowRunDetail;
}

/**
 * Where `detail` failed in the user's code, as Go to Failure on the run goes: its own failure's line or its
 * failed task run's (failureSiteOf), or, failed by a subflow run it awaited, that run's (or one further down):
 * only then is the store opened.
 */
export async function runFailureSiteOf(store: () => Promise<RunStore>, detail: FlowRunDetail): Promise<FailureSite | undefined> {
  return failureSiteOf(detail) ?? (await subflowFailureOf(await store(), detail))?.site;
}

/** Undefined when `run` did not fail for a subflow run's failure. */
export async function subflowFailureOf(store: RunStore, run: Pick<FlowRunDetail, 'id' | 'state'>): Promise<SubflowFailure | undefined> {
  let found: SubflowFailure | undefined;
  let parent = run;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const sub = failedSubflowOf(parent, await store.list({ parentRunId: parent.id }));
    if (!sub) break;
    found ??= { run: sub };
    const detail = await readFailedRun(store, sub.id);
    if (!detail) break;
    const site = failureSiteOf(detail);
    if (site) return { ...found, site, failed: detail };
    parent = detail;
  }
  return found;
}
