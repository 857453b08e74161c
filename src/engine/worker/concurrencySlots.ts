/**
 * Concurrency limits from the worker's side: an attempt of a task run with tags runs once the host holds
 * a slot of each limited tag for it (the host waits for free slots across every process sharing the
 * store, and shows the task run AwaitingConcurrencySlot meanwhile), and gives them back after. A cancel
 * while waiting stops the wait.
 */
import { request } from './hostLink';
import { onAbort } from './signals';

export async function withConcurrencySlots<T>(runId: string, taskRunId: string, tags: readonly string[] | undefined, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  if (!tags || tags.length === 0) return attempt();
  const release = (): Promise<unknown> => request({ op: 'slots-release', runId, taskRunId }).catch(() => undefined);
  let held: boolean;
  try {
    ({ held } = (await untilAborted(request({ op: 'slots-acquire', runId, taskRunId, tags: [...tags] }), signal)) as { held: boolean });
  } catch (e) {
    await release();
    throw e;
  }
  if (!held) return attempt();
  try {
    return await attempt();
  } finally {
    await release();
  }
}

function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const stop = onAbort(signal, () => reject(signal.reason));
    p.then(resolve, reject).finally(stop);
  });
}
