/**
 * The worker processes a host process has forked and that are alive now (Linux: read from /proc): children
 * of `hostPid` running Flowdeck's worker.js. Between runs, that is a long-lived host's standby worker.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Whether this platform lets the tests look at processes this way. */
export const PROC_SKIP = process.platform === 'linux' ? undefined : 'reads /proc (Linux only)';

export function workerChildren(hostPid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // "pid (comm) state ppid …": the name may hold spaces and parentheses, the last ')' ends it.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== hostPid || state === 'Z') continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => /(^|\/)worker\.js$/.test(a))) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Whether process `pid` is alive (a zombie, dead and not yet reaped, is not). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
