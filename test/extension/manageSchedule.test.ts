/** Pause / Resume / Remove Schedule from the command palette: nothing to act on is said, and one schedule is never acted on unseen. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { scheduleViews } from '../../src/engine/schedules/scheduleEntries';
import { tempDir } from '../support/engine';
import { quickPicks, registeredCommands, shownMessages, useVscodeStub } from '../support/vscodeStub';

useVscodeStub();

test('from the palette, a schedule command with nothing to act on says so and what to do; with one schedule it asks which, never acting unseen', async () => {
  const { registerManageSchedule } = await import('../../src/extension/commands/manageSchedule');
  const store = await EmbeddedStore.open(tempDir());
  const flowdeck = {
    host: { store: async () => store },
    schedules: { views: async () => scheduleViews([], await store.schedules.read(), Date.now()), refresh() {} },
  };
  const context = { subscriptions: [] as { dispose(): void }[] };
  registerManageSchedule(context as never, flowdeck as never);
  const command = (id: string) => registeredCommands.get(id)!;
  try {
    for (const id of ['flowdeck.pauseSchedule', 'flowdeck.resumeSchedule', 'flowdeck.removeSchedule']) {
      shownMessages.length = 0;
      await command(id)();
      assert.equal(shownMessages.length, 1, `${id} with no schedule says something`);
      assert.match(shownMessages[0]!.message, /^No (active |paused )?schedule to (pause|resume|remove)\b.*Schedule Flow…/);
    }

    const added = await store.schedules.add({ flowName: 'hello', source: '/ws/hello.flow.ts', schedule: { cron: '0 9 * * *' } });
    shownMessages.length = 0;
    quickPicks.length = 0;
    await command('flowdeck.removeSchedule')();
    assert.equal(quickPicks.length, 1, 'the schedule to remove is picked, not removed unseen');
    assert.equal((quickPicks[0]!.items as unknown[]).length, 1);
    assert.equal((await store.schedules.read()).added.length, 1, 'Escape removes nothing');
    assert.equal(shownMessages.length, 0, JSON.stringify(shownMessages));

    // Asked for by its id (a test, another extension), it is acted on as asked.
    await command('flowdeck.pauseSchedule')(added.id);
    assert.ok((await store.schedules.read()).paused.has(added.id));
    shownMessages.length = 0;
    await command('flowdeck.pauseSchedule')();
    assert.match(shownMessages[0]!.message, /^No active schedule to pause: .*paused/);

    // An id given in part is said as such, not as no schedule at all.
    shownMessages.length = 0;
    await command('flowdeck.resumeSchedule')(added.id.slice(0, 2));
    assert.match(shownMessages[0]!.message, /is too short to name a schedule: give at least 4 characters/);
    await command('flowdeck.resumeSchedule')('zzzzzzzz');
    assert.match(shownMessages[1]!.message, /^No schedule 'zzzzzzzz'/);
    assert.ok((await store.schedules.read()).paused.has(added.id), 'neither resumed it');
  } finally {
    for (const d of context.subscriptions) d.dispose();
    await store.close();
  }
});
