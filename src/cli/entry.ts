/**
 * `flowdeck`'s entry point (dist/cli.js). A command that runs a flow forks its worker here, first thing,
 * so the worker's Node starts while this process loads the rest of the CLI (dist/cli-main.js), opens the
 * store and finds the flow; the runner then uses that worker if its options match (StandbyWorker).
 */
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { forkEarlyWorker } from '../engine/standbyWorker';
import { defaultHome } from '../engine/storeHome';
import { takeStoreOption } from './storeOption';

// Node 22.1+ keeps compiled code of the bundles between runs; older Nodes have no such cache.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();

/** A command that runs a flow here (`run --queue` hands it to a worker elsewhere), and the environment it will run with. */
function localRun(): NodeJS.ProcessEnv | undefined {
  let line: { argv: string[]; env: NodeJS.ProcessEnv };
  try {
    line = takeStoreOption(process.argv.slice(2), process.env);
  } catch {
    return undefined; // main says what is wrong with the line.
  }
  const [command, ...rest] = line.argv;
  if (command !== 'run' && command !== 'resume') return undefined;
  if (rest.some((a) => a === '--help' || a === '-h' || a === '--queue' || a.startsWith('--queue='))) return undefined;
  return line.env;
}

const runEnv = localRun();
if (runEnv) {
  try {
    forkEarlyWorker({ workerPath: join(__dirname, 'worker.js'), env: { ...runEnv, FLOWDECK_HOME: defaultHome(runEnv) } });
  } catch {
    // The runner forks its own and says what went wrong.
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
(require(join(__dirname, 'cli-main.js')) as typeof import('./main')).runMain();
