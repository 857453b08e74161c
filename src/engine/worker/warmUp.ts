/**
 * A standby worker's rehearsal while it waits for its run. The first time a code path runs in a fresh
 * process it is compiled lazily and its inline caches are empty: loading a one-task flow took 8–11 ms
 * that way and its run's own start, task and end several more, most of a warm run. The rehearsal loads
 * a flow file of its own the way a run's flow is loaded (compile cache, module hooks or the direct
 * import, the 'flowdeck' module, picking the flow), then runs a flow of one task through the same code
 * a run takes, with everything it sends dropped (no host, no store: its results stay inline), in
 * contexts of its own that are gone afterwards.
 */
import { join } from 'node:path';
import { keepCompiledFile } from '../compileCache';
import { clearFallbackContext } from './context';
import { mute } from './eventPipe';
import { executeFlowRun } from './flowRun';
import { loadFlow, type AnyFlow } from './loadFlow';
import { releaseHeld } from './taskJournal';
import { forgetDeclaredFlows } from './declaredFlows';
import { runTask } from './taskRun';

/** Enough runs for the paths to be compiled and their caches fed; each takes well under a millisecond once warm. */
const REHEARSALS = 3;

/** A run id of the right shape that no store ever gives out (UUID v4 has 4 where this has 0). */
const NO_RUN = '00000000-0000-0000-0000-000000000000';

/** A flow file as users write them: TypeScript, importing 'flowdeck' and nothing else. */
const REHEARSAL_SOURCE = `import { flow, task } from 'flowdeck';

const step = task({ name: 'rehearsal' }, async (n: number): Promise<number> => n + 1);

export default flow({ name: 'rehearsal' }, async (): Promise<number> => step(1));
`;

/** Where the rehearsal's flow file is kept: the store's private compiled folder (its code is Flowdeck's, never a workspace's). */
export function rehearsalFlowFile(home: string): string {
  return join(home, 'compiled', 'rehearsal.flow.ts');
}

/**
 * Loads the rehearsal's flow file from the store `home` (written there once). Undefined when the store
 * cannot keep it: the run rehearsal then goes without the loading.
 */
async function rehearseLoad(home: string): Promise<AnyFlow | undefined> {
  const file = rehearsalFlowFile(home);
  if (!keepCompiledFile(join(home, 'compiled'), file, REHEARSAL_SOURCE)) return undefined;
  try {
    return (await loadFlow(file, 'the rehearsal flow', undefined, home)).flow;
  } catch {
    return undefined;
  }
}

export async function rehearse(home = process.env.FLOWDECK_HOME): Promise<void> {
  const loaded = home ? await rehearseLoad(home) : undefined;
  // What `task()` and `flow()` make of these, should the file not load (the API module comes only from the module loader).
  const step = { name: 'rehearsal' };
  const rehearsal = loaded ?? { options: { name: 'rehearsal' }, fn: async () => runTask(step, async (n: number) => n + 1, [1]) };
  // Its own signal: a cancel of the real run never reaches it, nor it the real run's.
  const controller = new AbortController();
  mute(true);
  try {
    for (let i = 0; i < REHEARSALS; i++) await executeFlowRun(rehearsal, { id: NO_RUN, name: 'rehearsal', resultsDir: '' }, {}, controller.signal);
  } finally {
    releaseHeld();
    mute(false);
    clearFallbackContext();
    forgetDeclaredFlows();
  }
}
