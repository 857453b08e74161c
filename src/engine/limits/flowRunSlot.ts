/**
 * A flow's own concurrency limit (FlowOptions.concurrencyLimit, Prefect's deployment `concurrency_limit`):
 * a run of the flow holds one of its `limit` slots from before its code starts until it ends, in the
 * store's limit leases (limitStore.ts) under a tag of the flow's own — so across every process and machine
 * sharing the store, and a dead host's slot is taken back at once. A run that finds them all held waits
 * (polling the store; not first come, first served across processes) or, with `collisionStrategy:
 * 'cancel-new'`, goes no further.
 */
import { createHash } from 'node:crypto';
import type { Lease, LeaseHolder, LimitStore } from './limitStore';

const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 500;

/** The tag whose leases count a flow's runs: its name hashed, so that any name makes a tag (`flow.3f2a…`). */
export function flowRunTag(flowName: string): string {
  return `flow.${createHash('sha256').update(flowName).digest('hex').slice(0, 24)}`;
}

export interface FlowSlotWait {
  store: LimitStore;
  flowName: string;
  limit: number;
  holder: LeaseHolder;
  /** Called once, when every slot is held: the run ids that hold them. */
  onWait(holders: string[]): void | Promise<void>;
  /** True once the run should stop waiting (cancelled). */
  stopped(): boolean;
  /** `cancel-new`: no waiting, undefined at once when every slot is held. */
  wait: boolean;
}

/** Holds a slot of the flow for the run; undefined when it stopped waiting, or would have to wait and may not. */
export async function holdFlowRunSlot(o: FlowSlotWait): Promise<Lease | undefined> {
  const tag = flowRunTag(o.flowName);
  let told = false;
  for (let poll = FIRST_POLL_MS; ; poll = Math.min(poll * 2, MAX_POLL_MS)) {
    if (o.stopped()) return undefined;
    const lease = await o.store.tryAcquire(tag, o.limit, o.holder);
    if (lease) return lease;
    if (!told) {
      told = true;
      const holders = (await o.store.leases(tag).catch(() => [])).map((l) => l.holder.runId);
      await o.onWait(holders);
      if (!o.wait) return undefined;
    }
    await new Promise((r) => setTimeout(r, poll));
  }
}
