/** Search Runs…: the count it shows as the user types says when the store cannot give one, rather than leaving a stale count. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drivenInputBoxes, registeredCommands, useVscodeStub } from '../support/vscodeStub';
import { waitFor } from '../support/engine';

useVscodeStub();

test('Search Runs… says the store could not count the runs matching what is typed, and the newest count wins', { timeout: 30_000 }, async () => {
  const { registerSearchRuns } = await import('../../src/extension/commands/searchRuns');
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  let failing = false;
  let filter: unknown;
  const store = {
    count: async (options: { search?: string }) => {
      if (failing) throw new Error('the store folder is gone (ENOENT)');
      return options.search === undefined ? 12 : 3;
    },
  };
  const flowdeck = { host: { store: async () => store }, runsTree: { getFilter: () => ({}), setFilter: (f: unknown) => (filter = f) } };
  const context = { subscriptions: [] as { dispose(): void }[] };
  registerSearchRuns(context as never, flowdeck as never);
  try {
    const done = registeredCommands.get('flowdeck.searchRuns')!();
    await waitFor(() => drivenInputBoxes.length === 1 && drivenInputBoxes[0]!.prompt !== undefined, 'the first count');
    const box = drivenInputBoxes[0]!;
    assert.equal(box.prompt, '12 runs match');
    failing = true;
    box.type('otter');
    await waitFor(() => box.prompt !== '12 runs match', 'the count of what was typed');
    assert.match(box.prompt!, /^Could not count the runs: the store folder is gone \(ENOENT\)/);
    failing = false;
    box.type('otte');
    await waitFor(() => box.prompt === '3 runs match', 'a count again once the store answers');
    box.accept();
    await done;
    assert.deepEqual(filter, { search: 'otte' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    for (const d of context.subscriptions) d.dispose();
  }
});
