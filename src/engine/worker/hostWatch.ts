/**
 * A worker must not outlive its host: user code left running with nobody to record it could do
 * anything, twice. A watcher of its own (a small shell process; a thread where there is no shell) watches
 * the parent process — it runs even while the main thread is stuck in a synchronous loop — and when the
 * host is gone it kills the worker's whole process group (the worker leads it), so processes the flow
 * started die too.
 *
 * The host's pid comes from the host (FLOWDECK_HOST_PID), not from reading the parent when the thread
 * starts: under load a thread can take long to start, and a host that died meanwhile would leave the
 * worker orphaned with a parent (init) that never changes.
 */
import { spawn } from 'node:child_process';
import { Worker } from 'node:worker_threads';

/**
 * The watch as a shell loop in a process of its own (POSIX): a few milliseconds to start, where a thread
 * is a second Node environment (~70 ms of CPU at every worker start, on a machine whose cores the CLI and
 * the worker are starting on too). Once a second it checks that the worker is still the host's child —
 * reading the worker's parent from /proc where there is one (a host that died is never mistaken for a live
 * one: its children have a new parent at once), else asking whether the host is alive — and when not,
 * kills the worker's group. It ends with the worker. While the worker's loop runs, the IPC channel's
 * 'disconnect' ends it at once (main.ts); this covers a loop that is stuck.
 */
const WATCH_SH = `h=$1 w=$2
hosted() {
  if [ -r /proc/$w/stat ]; then
    read -r s < /proc/$w/stat || return 1
    set -- \${s##*) }
    [ "$2" = "$h" ]
  else
    kill -0 "$h" 2>/dev/null
  fi
}
while kill -0 "$w" 2>/dev/null && hosted; do sleep 1; done
if kill -0 "$w" 2>/dev/null; then kill -9 -"$w" 2>/dev/null || kill -9 "$w"; fi`;

/** The same as a thread: where there is no POSIX shell. */
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

function watchInShell(host: number): boolean {
  if (process.platform === 'win32') return false;
  try {
    const child = spawn('/bin/sh', ['-c', WATCH_SH, 'flowdeck-host-watch', String(host), String(process.pid)], { stdio: 'ignore' });
    child.on('error', () => watchInThread(host));
    child.unref();
    return true;
  } catch {
    return false;
  }
}

function watchInThread(host: number): void {
  const thread = new Worker(WATCH_THREAD, { eval: true, stdout: false, stderr: false, workerData: host });
  thread.unref();
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
  if (!watchInShell(host)) watchInThread(host);
}
