/**
 * A failed run read for where it failed: its detail with only the task runs that can say so — the failed
 * ones (the first MAX_FAILED, and the first with a frame in user code wherever it comes) and the one asked
 * for. Read a batch at a time (RunStore.readRunParts): a run of a million task runs is never held whole in
 * the extension host.
 */
import type { FlowRunDetail, TaskRunRecord } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { isRunDeletedWhileRead } from '../../engine/storeErrors';

const MAX_FAILED = 100;

export async function readFailedRun(store: RunStore, id: string, taskRunId?: string): Promise<FlowRunDetail | undefined> {
  const parts = await store.readRunParts(id);
  if (!parts) return undefined;
  const kept: TaskRunRecord[] = [];
  let failed = 0;
  let framed = false;
  const read = parts.readTaskRuns((batch) => {
    for (const t of batch) {
      const isFailed = t.state.type === 'FAILED' && t.state.failure !== undefined;
      const hasFrame = isFailed && t.state.failure!.frame !== undefined;
      if (t.id === taskRunId || (isFailed && failed < MAX_FAILED) || (hasFrame && !framed)) kept.push(t);
      if (isFailed) failed++;
      if (hasFrame) framed = true;
    }
  });
  try {
    await read;
  } catch (e) {
    // Deleted while it was read (a prune): there is no run to show.
    if (isRunDeletedWhileRead(e)) return undefined;
    throw e;
  }
  return { ...parts.detail, taskRuns: kept };
}
