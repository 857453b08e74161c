/**
 * A standby worker's rehearsal while it waits for its run. The first time a code path runs in a fresh
 * process it is compiled lazily and its inline caches are empty: a one-task run's own start, task and
 * end took several milliseconds that way, most of a warm run. The rehearsal runs a flow of one task
 * through the same code a run takes, with everything it sends dropped (no host, no store, no files: its
 * results stay inline), in contexts of its own that are gone afterwards.
 */
import { clearFallbackContext } from './context';
import { mute } from './eventPipe';
import { executeFlowRun } from './flowRun';
import { releaseHeld } from './taskJournal';
import { runTask } from './taskRun';

/** Enough runs for the paths to be compiled and their caches fed; each takes well under a millisecond once warm. */
const REHEARSALS = 3;

/** A run id of the right shape that no store ever gives out (UUID v4 has 4 where this has 0). */
const NO_RUN = '00000000-0000-0000-0000-000000000000';

export async function rehearse(): Promise<void> {
  // What `task()` and `flow()` make of these, without the API module (only the module loader hands it out).
  const step = { name: 'rehearsal' };
  const rehearsal = { options: { name: 'rehearsal' }, fn: async () => runTask(step, async (n: number) => n + 1, [1]) };
  // Its own signal: a cancel of the real run never reaches it, nor it the real run's.
  const controller = new AbortController();
  mute(true);
  try {
    for (let i = 0; i < REHEARSALS; i++) await executeFlowRun(rehearsal, { id: NO_RUN, name: 'rehearsal', resultsDir: '' }, {}, controller.signal);
  } finally {
    releaseHeld();
    mute(false);
    clearFallbackContext();
  }
}
