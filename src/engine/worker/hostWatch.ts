/**
 * A worker must not outlive its host: user code left running with nobody to record it could do
 * anything, twice. A small thread of its own watches the parent process — it runs even while the main
 * thread is stuck in a synchronous loop — and when the host is gone it kills the worker's whole process
 * group (the worker leads it), so processes the flow started die too.
 *
 * The host's pid comes from the host (FLOWDECK_HOST_PID), not from reading the parent when the thread
 * starts: under load a thread can take long to start, and a host that died meanwhile would leave the
 * worker orphaned with a parent (init) that never changes.
 */
import { Worker } from 'node:worker_threads';

const WATCH = `
const { workerData: host } = require('node:worker_threads');
const check = () => {
  if (process.ppid === host) return;
  try { process.kill(-process.pid, 'SIGKILL'); } catch { process.kill(process.pid, 'SIGKILL'); }
};
check();
setInterval(check, 50);
`;

/** The pid the worker's host gave it, else its parent now. */
export function hostPid(env: NodeJS.ProcessEnv = process.env): number {
  const given = Number(env.FLOWDECK_HOST_PID);
  return Number.isSafeInteger(given) && given > 0 ? given : process.ppid;
}

export function watchHost(): void {
  const host = hostPid();
  delete process.env.FLOWDECK_HOST_PID;
  // Gone already (the host died while this process started): go now, before any user code loads.
  if (process.ppid !== host) {
    try {
      process.kill(-process.pid, 'SIGKILL');
    } catch {
      process.kill(process.pid, 'SIGKILL');
    }
  }
  const thread = new Worker(WATCH, { eval: true, stdout: false, stderr: false, workerData: host });
  thread.unref();
}
