/**
 * A starting `serve` takes over the notices a serve before it left untold; one its own policy does not tell (a
 * completed run's end under `onFailure`, told by a serve under `always` that died) it gives back at once, saying
 * nothing of it: serve is run in this process, so that a claim it kept is seen held (by a live process) once it stopped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { endNotTold, endsUntold, endToTell } from '../../src/engine/notify/endNotices';
import type { FlowRunSummary } from '../../src/engine/records';
import type { RunStore } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';
import { closingHandles, tempDir, workspace } from '../support/engine';
import { serveOnce } from '../support/serveOnce';

async function completedRun(store: RunStore): Promise<FlowRunSummary> {
  const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
  await h.setState(state('Running'), { startTime: Date.now() });
  await h.setState(state('Completed'), { endTime: Date.now() });
  await h.close();
  return (await store.get(h.id))!;
}

// Found checking the notices left untold: serve --notify onFailure claimed a completed run's end left untold by a
// serve under `always`, logged 'telling it again', told nothing and kept the claim while it ran, and left it
// for the next serve to start to take over and keep again: a serve under `always` sharing the store found it taken.
test("a starting serve gives back at once the untold ends its policy does not tell, and says it tells none of them", { timeout: 120_000 }, async () => {
  const home = tempDir();
  const cwd = workspace({});
  const before = closingHandles(await EmbeddedStore.open(home, { detectCrashed: false }));
  const completed = await completedRun(before);
  // As a serve under `always` that gave it up (or died) left it.
  await endToTell(before, completed);
  await endNotTold(before, completed);
  await before.close();

  // Nothing listens at that port: nothing is to be POSTed under `onFailure` here anyway.
  const said = await serveOnce(['--notify-url', 'http://127.0.0.1:9/hook', '--notify', 'onFailure'], { FLOWDECK_HOME: home }, cwd);
  assert.doesNotMatch(said, /telling it again/);

  const after = closingHandles(await EmbeddedStore.open(home, { detectCrashed: false }));
  try {
    // Kept by serve, it would be held by this process, alive: not to be claimed again.
    assert.deepEqual((await endsUntold(after, Date.now())).map((r) => r.id), [completed.id]);
  } finally {
    await after.close();
  }
});
