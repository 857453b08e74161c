import type { FlowRunSummary } from '../records';

/**
 * The schedule whose slot `run` was prepared for, when it never started and is Crashed with the process that
 * prepared it (a `serve` killed, a window closed, before the slot came due); else undefined. A scheduler of
 * the schedule takes such a slot over (runs it) or lets the run go (scheduler.ts letGoOfLeftBehind): it is
 * never resumed, which would run the slot twice.
 */
export function neverStartedSlot(run: Pick<FlowRunSummary, 'state' | 'trigger' | 'startTime' | 'parentRunId'>): string | undefined {
  const { trigger } = run;
  return run.state.type === 'CRASHED' && trigger?.kind === 'schedule' && run.startTime === undefined && run.parentRunId === undefined ? trigger.id : undefined;
}

/** What becomes of a run of `scheduleId`'s slot that never started (neverStartedSlot), instead of a resume. */
export function neverStartedNote(scheduleId: string): string {
  return `it never started: a scheduler of schedule ${scheduleId} runs its slot or lets it go`;
}

/**
 * Why a resume of `run` is refused when it is a slot's run that never started (what follows "Run 'name'");
 * else undefined.
 */
export function neverStartedRefusal(run: Pick<FlowRunSummary, 'name' | 'state' | 'trigger' | 'startTime' | 'parentRunId'>): string | undefined {
  const schedule = neverStartedSlot(run);
  return schedule === undefined ? undefined : `cannot be resumed: ${neverStartedNote(schedule)}. Or delete it: flowdeck delete ${run.name}`;
}
