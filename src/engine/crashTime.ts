/**
 * When a run whose host is gone crashed: at the host's last sign of life (the embedded journal's last
 * change, a Postgres host's last heartbeat), not when the crash was found — which may be days later, and
 * would differ from one read-only look to the next. Within the run's own span: never before it was created
 * or started, never after now. Without a sign, now.
 */
export function crashTime(run: { created: number; startTime?: number | undefined }, lastSign: number | undefined, now: number): number {
  if (lastSign === undefined || !Number.isFinite(lastSign)) return now;
  const began = Math.max(run.created, run.startTime ?? 0);
  return Math.min(now, Math.max(began, Math.floor(lastSign)));
}
