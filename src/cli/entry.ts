/**
 * `flowdeck`'s entry point (dist/cli.js). A command that runs a flow forks its worker here, first thing,
 * so the worker's Node starts while this process loads the rest of the CLI (dist/cli-main.js), opens the
 * store and finds the flow; the runner then uses that worker if its options match (StandbyWorker).
 */
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { forkEarlyWorker } from '../engine/standbyWorker';
import { defaultHome } from '../engine/storeHome';

// Node 22.1+ keeps compiled code of the bundles between runs; older Nodes have no such cache.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const [command, ...rest] = process.argv.slice(2);
if ((command === 'run' || command === 'resume') && !rest.some((a) => a === '--help' || a === '-h')) {
  try {
    forkEarlyWorker({ workerPath: join(__dirname, 'worker.js'), env: { ...process.env, FLOWDECK_HOME: defaultHome(process.env) } });
  } catch {
    // The runner forks its own and says what went wrong.
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
(require(join(__dirname, 'cli-main.js')) as typeof import('./main')).runMain();
