/** The engine as the CLI runs it: the store under FLOWDECK_HOME and a runner whose workers sit next to this file. */
import { join } from 'node:path';
import { mayStoreRefreshedCredentials, mergeCredentials, readCredentials, secretValuesFrom, type CredentialStore } from '../engine/credentials';
import { openStore as openRunStore } from '../engine/openStore';
import { FlowRunner } from '../engine/runner';
import { takeEarlyWorker } from '../engine/standbyWorker';
import type { RunStore } from '../engine/runStore';
import { neutraliseTerminal } from '../engine/terminalText';
import { InterruptedError, write, type CliIo } from './io';
import { sayRelistedRuns } from './relistedRuns';

export function distDir(): string {
  // The CLI is bundled into dist/cli.js; the worker and built-in flows are its siblings.
  return __dirname;
}

/**
 * Opens the store; `read` never writes (a missing store reads as an empty history, runs of dead
 * processes show Crashed without being recorded). Throws StoreHomeError for an unusable folder.
 * `detectCrashed: false`: the runs of processes gone are left for the caller's own markCrashed().
 * On Postgres a one-off command keeps few connections (poolSize.ts), `longLived` (serve) the usual pool;
 * a server with no free connection is waited for, said once on stderr.
 */
export async function openStore(io: CliIo, mode: 'read' | 'write' = 'write', options: { detectCrashed?: boolean; longLived?: boolean } = {}): Promise<RunStore> {
  // Ctrl-C (SIGTERM, SIGHUP) while it opens (on Postgres its migrations or a read may wait on a lock another
  // session holds): given up, its statements cancelled on the server, and the command ends saying so (exit 130),
  // not killed by the signal with a statement left waiting there till the lock goes.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => interrupted.abort(new InterruptedError(`Stopped by ${signal} while the store was opening; nothing was done`));
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const sig of signals) process.on(sig, onSignal);
  let store: RunStore;
  try {
    store = await openRunStore({
      env: io.env,
      readOnly: mode === 'read',
      ...(options.detectCrashed === false ? { detectCrashed: false } : {}),
      pool: options.longLived ? 'longLived' : 'oneOff',
      onConnectionWait: (message) => write(io.stderr, `flowdeck: ${neutraliseTerminal(message)}`),
      signal: interrupted.signal,
    });
  } finally {
    for (const sig of signals) process.off(sig, onSignal);
  }
  // Opened as the signal came (a store that does not look, or the last step done): closed, nothing more done.
  if (interrupted.signal.aborted) {
    await store.close().catch(() => undefined);
    throw interrupted.signal.reason;
  }
  // Opened for writing, the store lists again the runs a damaged index lost: said, not done in silence.
  sayRelistedRuns(io, store);
  return store;
}

/**
 * `standby`: a host that waits for runs nobody scheduled (`flowdeck worker`) keeps that many worker
 * processes forked ahead of its next runs (one for each run it may run at once), as the editor keeps one:
 * a run starts on a process whose Node has started and that has loaded a flow once, instead of forking one.
 * Each run still gets a process of its own; a new standby follows each run. (`serve` needs none: a
 * scheduled run's worker is forked and its flow loaded ahead of its slot.)
 */
export function createRunner(store: RunStore, io: CliIo, options: { foldTasks?: boolean; standby?: number; maxConcurrentRuns?: number } = {}): FlowRunner {
  let stored: CredentialStore = {};
  try {
    stored = readCredentials(store.home);
  } catch (e) {
    io.stderr.write(`flowdeck: ignoring unreadable credentials file: ${(e as Error).message}\n`);
  }
  const earlyWorker = takeEarlyWorker();
  return new FlowRunner(store, {
    workerPath: join(distDir(), 'worker.js'),
    ...(earlyWorker ? { earlyWorker } : {}),
    builtinDir: join(distDir(), 'flows'),
    env: io.env,
    ...(options.foldTasks !== undefined ? { foldTasks: options.foldTasks } : {}),
    ...(options.standby ? { standby: options.standby } : {}),
    ...(options.maxConcurrentRuns !== undefined ? { maxConcurrentRuns: options.maxConcurrentRuns } : {}),
    secrets: secretValuesFrom(io.env, stored),
    // A flow that refreshed an OAuth token hands it back; keep it for the next run, unless the credentials
    // came from the environment.
    onCredentials: (service, patch) => {
      if (mayStoreRefreshedCredentials(service, io.env)) mergeCredentials(store.home, service, patch);
    },
  });
}
