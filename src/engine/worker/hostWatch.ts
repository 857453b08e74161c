/**
 * A worker must not outlive its host: user code left running with nobody to record it could do
 * anything, twice. A small thread of its own watches the parent process — it runs even while the main
 * thread is stuck in a synchronous loop — and when the host is gone it kills the worker's whole process
 * group (the worker leads it), so processes the flow started die too.
 */
import { Worker } from 'node:worker_threads';

const WATCH = `
const parent = process.ppid;
setInterval(() => {
  if (process.ppid === parent) return;
  try { process.kill(-process.pid, 'SIGKILL'); } catch { process.kill(process.pid, 'SIGKILL'); }
}, 50);
`;

export function watchHost(): void {
  const thread = new Worker(WATCH, { eval: true, stdout: false, stderr: false });
  thread.unref();
}
