/**
 * Starting a worker process. Kept apart from the rest of the engine (it imports nothing but Node) so the
 * CLI can fork the worker before it loads anything else, and both start up at once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { killGroupOf } from './childGroup';
import { EVENT_FD } from './protocol';
import { WATCHED_BY_HOST, watchWorker } from './workerWatch';

export interface WorkerSpawnOptions {
  workerPath: string;
  cwd?: string;
  env: NodeJS.ProcessEnv;
}

/**
 * How a worker forked before its run is known readies itself while it waits: with Node's module hooks,
 * or without them for a flow that will likely need none (the CLI's early worker, by a glance at the flow
 * file: registering them would put their thread's start on the run's path). A standby in a long-lived
 * host also rehearses a run (worker/warmUp.ts): it has time to, and its run's load waits for that, which
 * the CLI's run, arriving at once, should not. It readies the hooks (`standby`) unless the last run's flow
 * needed none (`standby-no-hooks`): through the hooks' thread, such a flow's load took 1.5 ms more CPU
 * and a few thread hops more.
 */
export type Ahead = 'hooks' | 'no-hooks' | 'standby' | 'standby-no-hooks';

/**
 * Forks the worker: its own process group (and session), the event pipe on EVENT_FD, an IPC channel
 * after it. `ahead`: forked before its run is known (a standby). `hostWatches`: this process starts the
 * worker's watch (the CLI's first worker: workerWatch.ts says why only that one).
 */
export function forkWorker(options: WorkerSpawnOptions, ahead?: Ahead, hostWatches = false): ChildProcess {
  const profile = options.env.FLOWDECK_WORKER_PROF ?? process.env.FLOWDECK_WORKER_PROF;
  const stdio: ('ignore' | 'pipe' | 'ipc')[] = ['ignore', 'pipe', 'pipe'];
  stdio[EVENT_FD] = 'pipe';
  stdio.push('ipc');
  const child = fork(options.workerPath, [], {
    cwd: options.cwd,
    // The worker goes when this process does: watched from here (workerWatch.ts), else by itself
    // (worker/hostWatch.ts), given this process's pid either way.
    env: { ...options.env, FLOWDECK_HOST_PID: String(process.pid), ...(hostWatches ? { [WATCHED_BY_HOST]: '1' } : {}), ...(ahead ? { FLOWDECK_WORKER_AHEAD: ahead } : {}) },
    // Source maps make user code's stack traces point at the .ts lines they wrote. A standby, which may wait
    // minutes, goes without V8's memory reducer: the collections it runs in an idle process left a warm run
    // after 40 s of waiting at 22.5 ms (median of 7; 18.6–41.4) against 18.2 ms without (15.1–19.6).
    // --no-warnings: Node's warnings reach the run's log as warnings (worker/outputCapture.ts), not as raw stderr.
    execArgv: ['--enable-source-maps', '--no-warnings', ...(ahead === 'standby' || ahead === 'standby-no-hooks' ? ['--no-memory-reducer'] : []), ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
    stdio,
    detached: true,
  });
  if (!hostWatches || child.pid === undefined || watchWorker(child)) return child;
  // Told it is watched, and it is not: it goes, and one that watches itself takes its place.
  killGroupOf(child);
  return forkWorker(options, ahead, false);
}

/**
 * What makes two workers interchangeable before they are given a flow: the same program, folder and
 * environment. A worker forked ahead of time is used only for a run whose spawn options match its own.
 */
export function spawnKey(options: WorkerSpawnOptions): string {
  const env = Object.entries(options.env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([options.workerPath, options.cwd ?? process.cwd(), env]);
}
