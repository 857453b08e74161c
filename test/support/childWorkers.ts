/**
 * The worker processes a host process has forked and that are alive now (Linux: read from /proc): children
 * of `hostPid` running Flowdeck's worker.js. Between runs, that is a long-lived host's standby worker.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Whether this platform lets the tests look at processes this way. */
export const PROC_SKIP = process.platform === 'linux' ? undefined : 'reads /proc (Linux only)';

/** A process's state letter and its parent's pid, from /proc/<pid>/stat; undefined when it is gone. */
function stateAndParent(pid: number | string): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …": the name may hold spaces and parentheses, the last ')' ends it.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

export function workerChildren(hostPid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stateAndParent(entry);
    if (s?.ppid !== hostPid || s.state === 'Z') continue;
    try {
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
  const s = stateAndParent(pid);
  return s !== undefined && s.state !== 'Z';
}
