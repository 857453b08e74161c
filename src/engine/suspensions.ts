/**
 * Suspended runs whose time ran out (suspendFlowRun's `timeoutSeconds`): nobody resumed them, and nothing
 * runs them, so whoever settles a store's runs (its `markCrashed`, as for dead hosts' runs) ends them
 * Failed, as Prefect fails an expired pause; a resume of one that comes too late does the same. Exclusive
 * with a resume: both claim the run's next attempt first, so a run is resumed or expired, never both.
 */
import { formatDuration } from './durationText';
import { finishedLog } from './finishedLog';
import { pauseInput } from './pauseInput';
import type { FlowRunDetail, FlowRunSummary, PauseInputRecord } from './records';
import { attemptKey } from './resumePlan';
import type { RunStore } from './runStore';
import type { SecretMasker } from './secrets';
import { state, type State } from './states';
import { stateRecord } from './stateRecord';

/**
 * The input that resumes suspended `run`, checked against what it waits for (defaults filled in), and its
 * journal record (masked by `masker`); or why it does not fit. Undefined `record`: the suspension has no key
 * to record it under (a state written before keys were).
 */
export function suspensionInput(run: Pick<FlowRunSummary, 'id' | 'name' | 'state'>, given: Record<string, unknown>, masker: Pick<SecretMasker, 'mask' | 'maskValue'>, now = Date.now()): { input: Record<string, unknown>; record?: PauseInputRecord } | { problem: string } {
  const checked = pauseInput(run.state.pause?.input, given, (t) => masker.mask(t), run.name);
  if ('problem' in checked) return checked;
  const key = run.state.pause?.key;
  if (key === undefined) return { input: checked.input };
  return { input: checked.input, record: { k: 'input', runId: run.id, key, ts: now, value: masker.maskValue(checked.input) } };
}

/**
 * The input a suspended run's suspension was given while it waited for a worker to resume it
 * (SharedStore.resumeQueued): recorded after it was suspended, and in time — a worker that comes late
 * still resumes it.
 */
export function inputGivenSince(run: Pick<FlowRunDetail, 'state' | 'inputs'>): Record<string, unknown> | undefined {
  const pause = run.state.name === 'Suspended' ? run.state.pause : undefined;
  const given = pause?.key !== undefined ? run.inputs?.[pause.key] : undefined;
  return given !== undefined && !given.timedOut && given.ts >= run.state.timestamp && given.ts <= pause!.until ? given.value : undefined;
}

/** The Failed state a suspended run ends in once its time ran out by `now`; undefined while it may still be resumed. */
export function expiredSuspension(run: Pick<FlowRunSummary, 'name' | 'state'>, now: number): State | undefined {
  const s = run.state;
  if (s.name !== 'Suspended' || s.pause === undefined || now < s.pause.until) return undefined;
  return state('Failed', `${expiredPrefix(run.name)}${formatDuration(s.pause.until - s.timestamp)}`, s.pause.until);
}

function expiredPrefix(name: string): string {
  return `PauseTimeoutError: Flow run '${name}' was suspended and not resumed within `;
}

/** Whether `run` ended as expiredSuspension ends a suspended run nobody resumed in time (and has not moved on since). */
export function endedAsExpiredSuspension(run: Pick<FlowRunSummary, 'name' | 'state'>): boolean {
  return run.state.name === 'Failed' && run.state.message?.startsWith(expiredPrefix(run.name)) === true;
}

/**
 * Ends `run` in `end` (expiredSuspension), its next attempt claimed by the caller: the final state and the
 * engine's end line in its journal, then its listed state.
 */
export async function endSuspension(store: RunStore, run: Pick<FlowRunSummary, 'id' | 'name'>, end: State): Promise<void> {
  const handle = await store.openRun(run.id);
  try {
    const record = stateRecord(run.id, end);
    await handle.append([record, finishedLog(run.name, record)]);
    await handle.setState(end, { endTime: end.timestamp });
  } finally {
    await handle.close();
  }
}

/** Ends every suspended run of `store` whose time ran out by `now`, unless a resume takes it first. Returns their ids. */
export async function settleExpiredSuspensions(store: RunStore, now: number): Promise<string[]> {
  const ended: string[] = [];
  for (const run of await store.list({ stateTypes: ['PAUSED'] })) {
    if (expiredSuspension(run, now) === undefined) continue;
    const claim = attemptKey(run.id, run.attempt + 1);
    if (!(await store.claim(claim))) continue;
    try {
      // Read again under the claim: a resume that took it meanwhile has moved it on.
      await store.refresh();
      const current = await store.get(run.id);
      const end = current && current.attempt === run.attempt ? expiredSuspension(current, now) : undefined;
      // Resumed in time on its queue, waiting for a worker: not expired.
      if (!end || inputGivenSince((await store.readRun(run.id)) ?? { state: current!.state }) !== undefined) continue;
      await endSuspension(store, run, end);
      ended.push(run.id);
    } finally {
      await store.unclaim(claim);
    }
  }
  return ended;
}

/**
 * Cancels a Suspended run: nothing runs it, so it ends Cancelled here and now (under its next attempt's
 * claim, as a resume takes it). Returns false when it is not Suspended (any more), for the usual request.
 */
export async function cancelSuspension(store: RunStore, runId: string, reason: string): Promise<boolean> {
  const run = await store.get(runId);
  if (run?.state.name !== 'Suspended') return false;
  const claim = attemptKey(run.id, run.attempt + 1);
  if (!(await store.claim(claim))) return false;
  try {
    await store.refresh();
    const current = await store.get(run.id);
    if (current?.state.name !== 'Suspended' || current.attempt !== run.attempt) return false;
    await endSuspension(store, run, state('Cancelled', reason));
    return true;
  } finally {
    await store.unclaim(claim);
  }
}
