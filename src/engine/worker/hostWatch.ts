/**
 * A worker must not outlive its host (workerWatch.ts says why, and when the host starts the watch). A
 * worker its host does not watch starts the same shell watch on itself, or, where there is no shell,
 * watches from a thread — it runs even while the main thread is stuck in a synchronous loop — and when the
 * host is gone it kills its whole process group (the worker leads it), so processes the flow started die
 * too. A thread is a second Node environment (~70 ms of CPU at its start): the last resort.
 *
 * The host's pid comes from the host (FLOWDECK_HOST_PID), not from reading the parent when the worker
 * starts: under load a process can take long to start, and a host that died meanwhile would leave the
 * worker orphaned with a parent (init) that never changes.
 */
import { Worker } from 'node:worker_threads';
import { startWatch, WATCHED_BY_HOST } from '../workerWatch';
import { killOwnGroup } from './ownGroup';

const WATCH_THREAD = `
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
  const watched = process.env[WATCHED_BY_HOST] === '1';
  delete process.env.FLOWDECK_HOST_PID;
  delete process.env[WATCHED_BY_HOST];
  // Gone already (the host died while this process started): go now, before any user code loads.
  if (process.ppid !== host) killOwnGroup();
  if (watched) return;
  const inThread = (): void => new Worker(WATCH_THREAD, { eval: true, stdout: false, stderr: false, workerData: host }).unref();
  if (process.platform === 'win32' || !startWatch(host, process.pid, false, inThread)) inThread();
}
