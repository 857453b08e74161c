/**
 * Worker processes forked ahead of time (one, or as many as the host runs at once), so a run in a
 * long-lived host (the editor, `flowdeck worker`) skips Node's start-up and the worker's loading: most of a
 * short run's time. A standby is never shared: a run takes it, and a new one is forked once a run's worker
 * has gone and the host is idle. A standby is used only by a run whose spawn options (program, folder,
 * environment) are the ones it was forked with; otherwise it is killed and the run forks its own. An idle
 * standby exits with its host like any worker.
 */
import type { ChildProcess } from 'node:child_process';
import { killGroupOf } from './childGroup';
import { forkWorker, spawnKey, type Ahead, type WorkerSpawnOptions } from './workerFork';
import { hostCanWatch } from './workerWatch';

/** Where the CLI's entry leaves the worker it forked before loading the rest of the CLI. */
const EARLY = Symbol.for('flowdeck.earlyWorker');

interface Ready {
  key: string;
  child: ChildProcess;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.connected;
}

function kill(child: ChildProcess): void {
  if (alive(child)) killGroupOf(child);
}

export class StandbyWorker {
  private ready: Ready[] = [];
  private timer?: NodeJS.Timeout;
  private disposed = false;

  /**
   * `initial`: a worker already forked (the CLI's early one) with the options it was forked with. `size`:
   * how many to keep waiting (a host running several runs at once: `flowdeck worker --concurrency N`).
   */
  constructor(initial?: { child: ChildProcess; options: WorkerSpawnOptions }, private readonly size = 1) {
    if (initial) this.ready.push({ key: spawnKey(initial.options), child: initial.child });
  }

  /**
   * A standby that matches `options` and is still alive, taken for a run; otherwise undefined. Standbys
   * that no longer match (the host's environment or folder changed) or have died go.
   */
  take(options: WorkerSpawnOptions): ChildProcess | undefined {
    const key = spawnKey(options);
    this.dropStale(key);
    return this.ready.shift()?.child;
  }

  /**
   * Forks standbys for the next runs like `options`, `afterMs` from now (once the host is idle), until
   * `size` are waiting. Each rehearses a run (worker/warmUp.ts) while it waits, and with `hooks` readies
   * Node's module hooks: their thread is then started off the run's path. Without, a flow that needs them
   * registers them when it loads (a wrong guess costs time, never correctness).
   */
  prepare(options: WorkerSpawnOptions, afterMs = 0, hooks = true): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.disposed) return;
      const key = spawnKey(options);
      this.dropStale(key);
      while (this.ready.length < this.size) {
        let child: ChildProcess;
        try {
          child = forkWorker(options, hooks ? 'standby' : 'standby-no-hooks');
        } catch {
          return; // The run that needs a worker will fork one and say what went wrong.
        }
        // Heard first: a fork the system refused (EMFILE) has no pipes, and says so on the next tick.
        child.on('error', () => undefined);
        // An idle standby does not keep the host's event loop alive.
        unrefHandles(child);
        this.ready.push({ key, child });
      }
    }, afterMs);
    this.timer.unref();
  }

  /** The pid of the worker waiting for the next run, if one is (the first, of several). */
  get pid(): number | undefined {
    return this.pids[0];
  }

  /** The pids of the workers waiting for runs, the next first. */
  get pids(): number[] {
    return this.ready.filter((r) => alive(r.child)).map((r) => r.child.pid!);
  }

  /** Kills the standbys; no more are forked. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.timer);
    for (const r of this.ready) kill(r.child);
    this.ready = [];
  }

  /** Kills and forgets the standbys not forked with `key`'s options, and forgets those that died. */
  private dropStale(key: string): void {
    this.ready = this.ready.filter((r) => {
      if (r.key === key && alive(r.child)) return true;
      kill(r.child);
      return false;
    });
  }
}

interface Unreffable {
  ref?: () => void;
  unref?: () => void;
}

function handlesOf(child: ChildProcess): Unreffable[] {
  return [child, child.channel as Unreffable | undefined, ...(child.stdio ?? []).map((s) => s as unknown as Unreffable | null)].filter((h): h is Unreffable => !!h);
}

/** Lets the host exit while `child` waits unused (its IPC channel and pipes would keep it alive). */
export function unrefHandles(child: ChildProcess): void {
  for (const h of handlesOf(child)) h.unref?.();
}

/** The opposite of unrefHandles, once a run uses the worker. */
export function refHandles(child: ChildProcess): void {
  for (const h of handlesOf(child)) h.ref?.();
}

/** The CLI's entry: forks the worker first thing and leaves it for the runner the command creates. */
export function forkEarlyWorker(options: WorkerSpawnOptions, ahead: Ahead = 'hooks'): void {
  const child = forkWorker(options, ahead, hostCanWatch());
  // Heard first: a fork the system refused (EMFILE) has no pipes, and says so on the next tick.
  child.on('error', () => undefined);
  unrefHandles(child);
  (globalThis as Record<symbol, unknown>)[EARLY] = { child, options };
}

/** The worker the CLI's entry forked, if any (taken once). */
export function takeEarlyWorker(): { child: ChildProcess; options: WorkerSpawnOptions } | undefined {
  const g = globalThis as Record<symbol, unknown>;
  const early = g[EARLY] as { child: ChildProcess; options: WorkerSpawnOptions } | undefined;
  delete g[EARLY];
  return early;
}
