/**
 * Concurrency limits from the worker's side: an attempt of a task run with tags runs once the host holds
 * a slot of each limited tag for it (the host waits for free slots across every process sharing the
 * store, and shows the task run AwaitingConcurrencySlot meanwhile), and gives them back after. A cancel
 * while waiting stops the wait.
 */
import type { SlotsReply } from '../protocol';
import { request } from './hostLink';
import { onAbort } from './signals';

/**
 * A task run one of whose tags is limited to 0 (`flowdeck limit set api 0`): not run, and not retried —
 * the limit stops the tag's task runs until it is raised (Prefect aborts them).
 */
export class StoppedByLimit extends Error {
  override readonly name = 'StoppedByLimit';
  constructor(
    readonly tags: readonly string[],
    /** What is wrong with the stored limits that cannot be read (a damaged file), which stop their tags' task runs too. */
    unreadable: readonly string[] = [],
  ) {
    super(
      unreadable.length > 0
        ? `Not run, rather than run without the limit set for it: ${unreadable.join('; ')}`
        : `Not run: ${tags.map((t) => `'${t}'`).join(', ')} ${tags.length === 1 ? 'has' : 'have'} a concurrency limit of 0, which stops ${tags.length === 1 ? 'its' : 'their'} task runs (\`flowdeck limit set ${tags[0]} N\` lets them run again)`,
    );
  }
}

export async function withConcurrencySlots<T>(runId: string, taskRunId: string, tags: readonly string[] | undefined, signal: AbortSignal, attempt: () => Promise<T>): Promise<T> {
  if (!tags || tags.length === 0) return attempt();
  const release = (): Promise<unknown> => request({ op: 'slots-release', runId, taskRunId }).catch(() => undefined);
  let reply: SlotsReply;
  try {
    reply = (await untilAborted(request({ op: 'slots-acquire', runId, taskRunId, tags: [...tags] }), signal)) as SlotsReply;
  } catch (e) {
    await release();
    throw e;
  }
  if (reply.stopped) throw new StoppedByLimit(reply.stopped, reply.unreadable);
  if (!reply.held) return attempt();
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
