/**
 * The worker leads its own process group (it is forked detached): ending the group ends the worker and
 * every process the flow started. Used when the worker learns its host is gone.
 */
export function killOwnGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    process.kill(process.pid, 'SIGKILL');
  }
}
