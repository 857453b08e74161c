/**
 * A child this process started in a process group of its own (a worker, a worker's watch): ending it ends
 * the group, with whatever the child started. Where the group cannot be signalled (Windows, or the child
 * never led one), the child alone; a child already gone is no error.
 */
import type { ChildProcess } from 'node:child_process';

export function killGroupOf(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}
