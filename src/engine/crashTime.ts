import type { RunRecord } from './records';
import { stateType } from './states';

/**
 * When a run whose host is gone crashed: at the host's last sign of life (the embedded journal's last
 * change, a Postgres host's last heartbeat), not when the crash was found — which may be days later, and
 * would differ from one read-only look to the next. Within the run's own span: never before it was created
 * or started, nor before the latest start of a task run of it (`taskStart`), and never after now — but for
 * those starts: read on another clock (a worker's ahead of the server that dates a Postgres host's signs),
 * a start may be later than the last sign or even now, and a crash dated before it ended its task runs
 * before they started. Without a sign, now.
 */
export function crashTime(run: { created: number; startTime?: number | undefined }, lastSign: number | undefined, now: number, taskStart?: number): number {
  const began = Math.max(run.created, run.startTime ?? 0, taskStart !== undefined && Number.isFinite(taskStart) ? Math.floor(taskStart) : 0);
  if (lastSign === undefined || !Number.isFinite(lastSign)) return Math.max(began, now);
  return Math.max(began, Math.min(now, Math.floor(lastSign)));
}

/** When a task run began, as a record says it (a `tstate` of the Running kind, a `trun` line's `start`), if it does. */
export function taskStartOf(r: RunRecord): number | undefined {
  const at = r.k === 'trun' ? r.start : r.k === 'tstate' && stateType(r.name) === 'RUNNING' ? r.ts : undefined;
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined;
}
