/**
 * A flow's worker killed by a signal from outside (`kill -9`, a process manager, the system's OOM killer), or one the system would not start or
 * would not give what loading needs (too many open files: its compiler's process), or one held before its file's code ran past its start's bound
 * (FLOWDECK_WORKER_START_SECONDS), while its file was still loading: the start failed, but not for anything the file or the request did —
 * not bad input (exit 2), and no run was created. Running it again starts it. A file that ends its own
 * process as it is imported (process.exit) stays a BadInputError.
 */
import { shareErrorClass } from './sharedErrorClass';

/** Signals a loading worker does not send itself: another process (or the kernel) ended it. */
const FROM_OUTSIDE: ReadonlySet<NodeJS.Signals> = new Set(['SIGKILL']);

export class WorkerKilledWhileLoading extends Error {
  override readonly name = 'WorkerKilledWhileLoading';
}
shareErrorClass(WorkerKilledWhileLoading, 'WorkerKilledWhileLoading');

/** Whether a worker that ended so, before its flow had loaded, was killed from outside. */
export function killedFromOutside(how: { code: number | null; signal: NodeJS.Signals | null }): boolean {
  return how.code === null && how.signal !== null && FROM_OUTSIDE.has(how.signal);
}
