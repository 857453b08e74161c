/**
 * `flowdeck serve --notify never` tells nothing, so it takes none of the notices left untold: serve is run in
 * this process, so that a claim it took is seen held (by a live process) once it stopped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { endNotTold, endsUntold, endToTell } from '../../src/engine/notify/endNotices';
import { pauseNotTold, pausesUntold, pauseToTell } from '../../src/engine/notify/pauseNotices';
import type { FlowRunSummary } from '../../src/engine/records';
import type { RunStore } from '../../src/engine/runStore';
import { state, type State } from '../../src/engine/states';
import { closingHandles, tempDir, workspace } from '../support/engine';
import { serveOnce } from '../support/serveOnce';

async function runIn(store: RunStore, last: State, extra: { endTime?: number } = {}): Promise<FlowRunSummary> {
  const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
  await h.setState(state('Running'), { startTime: Date.now() });
  await h.setState(last, extra);
  await h.close();
  return (await store.get(h.id))!;
}

// Found on review: `serve --notify never` claimed, as it started, the ends and pauses a serve before it left
// untold, and told none: a serve with notifications started meanwhile found them taken.
test('serve --notify never claims none of the ends and pauses left untold: the next serve with notifications tells them', { timeout: 120_000 }, async () => {
  const home = tempDir();
  const cwd = workspace({});
  const before = closingHandles(await EmbeddedStore.open(home, { detectCrashed: false }));
  const failed = await runIn(before, state('Failed', 'no'), { endTime: Date.now() });
  const suspended = await runIn(before, state('Suspended', 'Publish?'));
  await endToTell(before, failed);
  await endNotTold(before, failed);
  await pauseToTell(before, suspended);
  await pauseNotTold(before, suspended);
  await before.close();

  // Nothing listens at that port: nothing is to be POSTed under `never` anyway.
  await serveOnce(['--notify-url', 'http://127.0.0.1:9/hook', '--notify', 'never'], { FLOWDECK_HOME: home }, cwd);

  const after = closingHandles(await EmbeddedStore.open(home, { detectCrashed: false }));
  try {
    // Claimed by serve, they would be held by this process, alive: not to be claimed again.
    assert.deepEqual((await endsUntold(after, Date.now())).map((r) => r.id), [failed.id]);
    assert.deepEqual((await pausesUntold(after)).map((r) => r.id), [suspended.id]);
  } finally {
    await after.close();
  }
});
