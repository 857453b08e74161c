/**
 * Who owns a run, in a way that survives PID reuse: the PID plus the process's start time and the kernel
 * boot id from /proc where the platform has them.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ProcessIdentity } from './records';

/** A process's state letter and start time, from /proc (Linux), or undefined elsewhere or when it is gone. */
function procStat(pid: number): { state: string; startTicks: number | undefined } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[19]);
    return { state: rest[0] ?? '', startTicks: Number.isFinite(ticks) ? ticks : undefined };
  } catch {
    return undefined;
  }
}

function startTicks(pid: number): number | undefined {
  return procStat(pid)?.startTicks;
}

let bootIdCache: string | undefined | null = null;
function bootId(): string | undefined {
  if (bootIdCache === null) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootIdCache = undefined;
    }
  }
  return bootIdCache;
}

let self: ProcessIdentity | undefined;

export function currentProcess(): ProcessIdentity {
  self ??= { pid: process.pid, startTicks: startTicks(process.pid), bootId: bootId(), hostname: hostname() };
  return self;
}

/** False only when we can tell for sure that the process is gone (or its PID now belongs to another). */
export function isAlive(owner: ProcessIdentity): boolean {
  const me = currentProcess();
  // Another machine sharing the folder: nothing here can tell.
  if (owner.hostname !== me.hostname) return true;
  if (owner.bootId && me.bootId && owner.bootId !== me.bootId) return false;
  if (owner.pid === me.pid) return owner.startTicks === undefined || owner.startTicks === me.startTicks;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = procStat(owner.pid);
  // A zombie (Z) has ended — killed, say — and only waits for its parent to collect its exit status: its
  // runs are over, though its PID still answers.
  if (now !== undefined && (now.state === 'Z' || now.state === 'X')) return false;
  if (owner.startTicks !== undefined && now?.startTicks !== undefined && now.startTicks !== owner.startTicks) return false;
  return true;
}

/** Whether two identities name the same process (on the same machine, since the same boot). */
export function sameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.startTicks === b.startTicks && a.hostname === b.hostname && a.bootId === b.bootId;
}
