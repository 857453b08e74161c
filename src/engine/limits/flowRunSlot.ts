/**
 * A flow's own concurrency limit (FlowOptions.concurrencyLimit, Prefect's deployment `concurrency_limit`):
 * a run of the flow holds one of its `limit` slots from before its code starts until it ends, in the
 * store's limit leases (limitStore.ts) under a tag of the flow's own — so across every process and machine
 * sharing the store, and a dead host's slot is taken back at once. A run that finds them all held waits
 * or, with `collisionStrategy: 'cancel-new'`, goes no further. The waits go through a ConcurrencyGate of
 * their own (not the task runs' gate, which gives back a run's slots when its worker ends: a flow's slot
 * goes on to the attempt that resumes it): runs of a flow get its slots in the order they asked, this
 * process's in the gate's line and every process's in the store's (`line`: a ticket per waiting process).
 */
import { createHash } from 'node:crypto';
import type { SharedStore } from '../sharedStore';
import type { ConcurrencyGate } from './concurrencyGate';
import type { LeaseHolder, LimitStore } from './limitStore';
import { shareErrorClass } from '../sharedErrorClass';

/** The tag whose leases count a flow's runs: its name hashed, so that any name makes a tag (`flow.3f2a…`). */
export function flowRunTag(flowName: string): string {
  return `flow.${createHash('sha256').update(flowName).digest('hex').slice(0, 24)}`;
}

/** How a run's Pending message (and its log line) starts while it waits for a slot of its flow. */
export const WAITING_FOR_FLOW_SLOT = 'Waiting for a concurrency slot: ';

/**
 * Every slot of the flow is held, or (`ahead`) the free ones are due to runs queued before this one: the run
 * (a queued one, refuseIfSlotsBusy) was not taken up.
 */
export class FlowSlotBusy extends Error {
  override readonly name = 'FlowSlotBusy';
  constructor(
    readonly flowName: string,
    readonly limit: number,
    ahead = 0,
  ) {
    super(`flow '${flowName}' runs at most ${limit} at once, and ${ahead > 0 ? `its free slots go first to the ${ahead === 1 ? 'run' : `${ahead} runs`} queued before it` : 'every slot is held'}`);
  }
}
shareErrorClass(FlowSlotBusy, 'FlowSlotBusy');

/**
 * Whether a queued run (`refuseIfSlotsBusy`) may take a slot of its flow now: FlowSlotBusy when every slot
 * is held, or when the free ones are due to runs of the flow queued before it on its queue that a worker will
 * still take up (SharedStore.waitingAhead: first come, first served — also for a worker that never loaded the
 * flow before, and for a run whose job another worker picked a moment before); undefined when it may.
 * A look, not a hold: the slot is then taken through the gate, which another process may win meanwhile.
 */
export async function flowSlotTurn(limits: LimitStore, shared: SharedStore | undefined, run: { id: string; flowName: string }, limit: number): Promise<FlowSlotBusy | undefined> {
  const held = (await limits.leases(flowRunTag(run.flowName))).length;
  if (held >= limit) return new FlowSlotBusy(run.flowName, limit);
  const ahead = shared ? await shared.waitingAhead(run.id) : 0;
  return held + ahead >= limit ? new FlowSlotBusy(run.flowName, limit, ahead) : undefined;
}

/** The holder of a run's slot of its flow. */
export function flowRunSlotHolder(runId: string): LeaseHolder {
  return { runId, taskRunId: 'flow-run' };
}

export interface FlowSlotWait {
  flowName: string;
  limit: number;
  runId: string;
  /** Called once, when every slot is held (before `holdFlowRunSlot` returns or waits on). */
  onWait(): void;
  /** Stops the wait (a cancel, its worker gone). */
  signal: AbortSignal;
  /** `cancel-new`: no waiting. */
  wait: boolean;
}

/**
 * Holds a slot of the flow for the run (`gate.release(flowRunSlotHolder(runId))` gives it back): 'held';
 * 'stopped' when the signal fired while it waited; 'refused' when it would have to wait and may not.
 */
export async function holdFlowRunSlot(gate: ConcurrencyGate, o: FlowSlotWait): Promise<'held' | 'stopped' | 'refused'> {
  const tag = flowRunTag(o.flowName);
  try {
    const got = await gate.acquire(flowRunSlotHolder(o.runId), [tag], () => o.onWait(), { limits: [{ tag, limit: o.limit }], wait: o.wait, signal: o.signal, line: true });
    return got.held ? 'held' : 'refused';
  } catch (e) {
    if (o.signal.aborted) return 'stopped';
    throw e;
  }
}
