/** The engine as the CLI runs it: the store under FLOWDECK_HOME and a runner whose workers sit next to this file. */
import { join } from 'node:path';
import { FlowRunner } from '../engine/runner';
import { RunStore, defaultHome } from '../engine/runStore';
import type { CliIo } from './io';

export function distDir(): string {
  // The CLI is bundled into dist/cli.js; the worker and built-in flows are its siblings.
  return __dirname;
}

export function openStore(io: CliIo): RunStore {
  return RunStore.open(defaultHome(io.env));
}

export function createRunner(store: RunStore, io: CliIo): FlowRunner {
  return new FlowRunner(store, {
    workerPath: join(distDir(), 'worker.js'),
    builtinDir: join(distDir(), 'flows'),
    env: io.env,
  });
}
