/**
 * A worker must not outlive its host: user code left running with nobody to record it could do
 * anything, twice. Where there is a POSIX shell, the host starts the worker's watch itself, right after
 * forking it: a small shell process that checks once a second that the worker is still the host's child —
 * reading the worker's parent from /proc where there is one (a host that died is never mistaken for a live
 * one: its children have a new parent at once), else asking whether the host is alive — and when not,
 * kills the worker's whole process group (the worker leads it), so processes the flow started die too. It
 * runs even while the worker's main thread is stuck in a synchronous loop. Sooner than the watch: while the
 * worker's loop turns, the IPC channel's 'disconnect' ends it, and its first write to the event pipe after
 * the host is gone (EPIPE) ends it with its group, loop or not (worker/main.ts).
 *
 * Who starts it: the CLI, for the worker it forks first thing — starting a process from Node forks the whole
 * process and waits for its exec (2–7 ms measured in the worker), which the worker would do before it could
 * load its flow, while the CLI has that time to spare (it waits for the worker's Node to start). Everywhere
 * else the worker starts it itself (worker/hostWatch.ts): an editor's worker is a standby, forked while
 * idle, whose own start is off the run's path, and forking the extension host (hundreds of MB) blocks its
 * thread for tens of milliseconds (31 ms measured at 630 MB), as long as forking the worker itself.
 * Where there is no shell, the worker watches from a thread.
 *
 * Not a library: the Node packages that kill children with their parent watch from the child's event
 * loop (blind to a stuck loop) or need a native addon (prctl's PDEATHSIG, which would also spare the
 * processes the flow started).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { killGroupOf } from './childGroup';

/** Told to the worker in its environment: its host watches it, so it need not watch itself. */
export const WATCHED_BY_HOST = 'FLOWDECK_WATCHED_BY_HOST';

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

/** Whether this host can watch its workers (a POSIX shell). */
export function hostCanWatch(): boolean {
  return process.platform !== 'win32';
}

/**
 * Starts the watch of the just-forked `worker`; false if it could not be started. The watch is a process
 * group of its own (the shell and its `sleep`), never keeps the host's loop alive, and is ended with its
 * worker: no watch outlives the run it guarded.
 */
export function watchWorker(worker: ChildProcess): boolean {
  if (worker.pid === undefined) return false;
  const watch = startWatch(process.pid, worker.pid, true, () => undefined);
  if (watch?.pid === undefined) return false;
  worker.once('exit', () => killGroupOf(watch));
  return true;
}

/**
 * The watch of `worker` for `host` as a shell process, unref'd; undefined if it could not be started.
 * `ownGroup`: started by the host, it must survive a kill of the host's group; `onError` hears a spawn that
 * failed later (no /bin/sh).
 */
export function startWatch(host: number, worker: number, ownGroup: boolean, onError: () => void): ChildProcess | undefined {
  let watch: ChildProcess;
  try {
    watch = spawn('/bin/sh', ['-c', WATCH_SH, 'flowdeck-host-watch', String(host), String(worker)], { stdio: 'ignore', detached: ownGroup });
  } catch {
    return undefined;
  }
  watch.on('error', onError);
  watch.unref();
  return watch;
}
