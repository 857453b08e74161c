/**
 * `flowdeck`'s entry point (dist/cli.js). A command that runs a flow forks its worker here, first thing,
 * so the worker's Node starts while this process loads the rest of the CLI (dist/cli-main.js), opens the
 * store and finds the flow; the runner then uses that worker if its options match (StandbyWorker).
 */
import { join } from 'node:path';
import { requireBundle } from '../engine/bundleCodeCache';
import { importHint } from '../engine/importHint';
import { enableNodeCompileCache } from '../engine/nodeCompileCache';
import { forkEarlyWorker } from '../engine/standbyWorker';
import type { Ahead } from '../engine/workerFork';
import { defaultHome } from '../engine/storeHome';
import { readUpTo } from './readUpTo';
import { takeStoreOption } from './storeOption';

// Node 22.1+ keeps compiled code of the bundles between runs; on older Nodes, requireBundle keeps V8's.
enableNodeCompileCache(defaultHome(process.env));

/** Larger flow files are not read here: the worker readies its module hooks, as for one that needs them. */
const HINT_MAX_BYTES = 256 * 1024;

/**
 * How the worker readies itself while this process loads: by a glance at the flow file (`run <file>`),
 * without the module hooks for a built-in flow, with them when the flow is not known here (`resume`).
 */
function aheadFor(command: string, args: string[]): Ahead {
  if (command !== 'run') return 'hooks';
  const file = args.find((a) => !a.startsWith('-') && /\.[cm]?[jt]sx?$/.test(a));
  if (file === undefined) return args.some((a) => /^[a-z0-9-]+$/.test(a)) ? 'no-hooks' : 'hooks';
  try {
    const bytes = readUpTo(file, HINT_MAX_BYTES);
    return bytes === undefined ? 'hooks' : importHint(bytes.toString('utf8'));
  } catch {
    return 'hooks'; // main says what is wrong with the file.
  }
}

/** A command that runs a flow here (`run --queue` hands it to a worker elsewhere), the environment it will run with and how its worker readies itself. */
function localRun(): { env: NodeJS.ProcessEnv; ahead: Ahead } | undefined {
  let line: { argv: string[]; env: NodeJS.ProcessEnv };
  try {
    line = takeStoreOption(process.argv.slice(2), process.env);
  } catch {
    return undefined; // main says what is wrong with the line.
  }
  const [command, ...rest] = line.argv;
  if (command !== 'run' && command !== 'resume') return undefined;
  if (rest.some((a) => a === '--help' || a === '-h' || a === '--queue' || a.startsWith('--queue='))) return undefined;
  return { env: line.env, ahead: aheadFor(command, rest) };
}

const local = localRun();
if (local) {
  try {
    forkEarlyWorker({ workerPath: join(__dirname, 'worker.js'), env: { ...local.env, FLOWDECK_HOME: defaultHome(local.env) } }, local.ahead);
  } catch {
    // The runner forks its own and says what went wrong.
  }
}

(requireBundle(join(__dirname, 'cli-main.js'), defaultHome(process.env)) as typeof import('./main')).runMain();
