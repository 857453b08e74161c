/**
 * A notice's marks go with its run: a run deleted (pruned) while its notice was on its way — by this process or
 * another sharing the store — leaves no mark behind, on either store.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { endToTell, endTold } from '../../src/engine/notify/endNotices';
import type { FlowRunSummary } from '../../src/engine/records';
import type { RunStore } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';
import { closingHandles, runCli, tempDir } from '../support/engine';
import { cliStore } from '../support/pgCliQueries';
import { PG_SKIP } from '../support/postgres';

async function failedRun(store: RunStore): Promise<FlowRunSummary> {
  const h = await store.createRun({ flowName: 'f', source: '/x.flow.ts', parameters: {} });
  await h.setState(state('Running'), { startTime: Date.now() });
  await h.setState(state('Failed', 'no'), { endTime: Date.now() });
  await h.close();
  return (await store.get(h.id))!;
}

// Found on review: a serve telling a run's end while a `flowdeck prune` in another process deleted the run (with its
// marks) looked whether the run was gone in its own index, not read again since, and set the run's told mark: a mark
// of a run that no longer exists, left for good.
describe("a run pruned by another process while its end's notice was on its way leaves no mark", { timeout: 120_000 }, () => {
  it('embedded', async () => {
    const home = tempDir();
    const store = closingHandles(await EmbeddedStore.open(home, { detectCrashed: false }));
    try {
      const run = await failedRun(store);
      await endToTell(store, run);
      const pruned = await runCli(['prune', '--keep', '0'], { env: { FLOWDECK_HOME: home } });
      assert.equal(pruned.code, 0, pruned.stderr);
      await endTold(store, run);
      const left = readdirSync(join(home, 'runs', 'claims')).filter((f) => f.includes(run.id));
      assert.deepEqual(left, [], `marks of the deleted run ${run.id}`);
    } finally {
      await store.close();
    }
  });
});

/** A mark of `run`, pruned by another process (`env`'s CLI), set by `store` afterwards: none is set, and it says so. */
async function markOfPrunedRun(store: RunStore, env: NodeJS.ProcessEnv): Promise<void> {
  const run = await failedRun(store);
  const kept = await failedRun(store);
  const pruned = await runCli(['prune', '--keep', '1'], { env });
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal(await store.markOnce(`end-notice-told:${run.id}:1`), false, 'a mark of a run gone is not set');
  assert.equal(await store.isMarked(`end-notice-told:${run.id}:1`), false);
  // A run still there is marked as ever, once.
  assert.equal(await store.markOnce(`end-notice-told:${kept.id}:1`), true);
  assert.equal(await store.markOnce(`end-notice-told:${kept.id}:1`), false);
  assert.equal(await store.isMarked(`end-notice-told:${kept.id}:1`), true);
}

// The store's own guarantee (markOnce): a mark set as the run is deleted goes with it, however late this process
// heard of the deletion — serve's look whether the run is gone came before the mark, and another process may
// delete the run between the two.
describe('markOnce sets no mark of a run another process deleted', { timeout: 120_000 }, () => {
  it('embedded', async () => {
    const home = tempDir();
    const store = closingHandles(await EmbeddedStore.open(home, { detectCrashed: false }));
    try {
      await markOfPrunedRun(store, { FLOWDECK_HOME: home });
    } finally {
      await store.close();
    }
  });
  it('postgres', PG_SKIP !== undefined ? { skip: PG_SKIP } : {}, async () => {
    const { env, store } = await cliStore();
    try {
      await markOfPrunedRun(closingHandles(store), env);
    } finally {
      await store.close();
    }
  });
});
