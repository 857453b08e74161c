/**
 * A worker whose database goes away for longer than its lease's fence, mid-run, with a flow of many short
 * tasks one after another: the tasks it completed while the store was away never reach the store, so the
 * run's resume (the host fenced itself, the run Crashed) runs them again. While the store does not confirm
 * the run's writes, no new task run starts — only those already running finish — so a resume runs again
 * at most the task runs in flight when the outage began. An outage shorter than that: the run waits, says
 * so, and goes on when the store answers, each task once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowSource, logsOf } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { describeRuns, effects } from '../support/effectFlows';
import { briefOutage, outagePastFence, runPartway, withOutageWorker } from '../support/pgOutage';
import { netnsUnavailable } from '../support/workers';

const TASKS = 60;

/** TASKS tasks of ~150 ms, one after another, each leaving a line `runId task host pid time` in EFFECTS. */
const STEADY = flowSource(`
import { appendFileSync } from 'node:fs';
const effect = task({ name: 'effect' }, async (i: number) => {
  await new Promise((r) => setTimeout(r, 150));
  appendFileSync(process.env.EFFECTS!, getRunContext().flowRunId + ' ' + i + ' ' + process.env.EFFECT_HOST + ' ' + process.pid + ' ' + Date.now() + '\\n');
  return i;
});
export default flow({ name: 'steady', resumeOnCrash: true }, async () => {
  let sum = 0;
  for (let i = 0; i < ${TASKS}; i++) sum += await effect(i);
  return sum;
});`);

describe('a worker whose database goes away a while, mid-run, with many short tasks', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('within its lease: the run waits for the store, says so once per wait, then goes on and Completes, each task once', async () => {
    // Fenced 3.6 s after the cut (60% of a 6 s lease); the cut lasts 1.5 s.
    await withOutageWorker({ 'steady.flow.ts': STEADY }, { leaseSeconds: 6 }, async (at) => {
      const { store, effectsFile } = at;
      const id = await runPartway(at, 'steady.flow.ts');
      await briefOutage(at, id, 1500);
      const run = (await store.readRun(id))!;
      assert.equal(run.state.name, 'Completed', await describeRuns(store, [id]));
      assert.equal(run.attempt, 1, 'the run went on in its first attempt');
      const mine = effects(effectsFile).filter((e) => e.run === id);
      assert.deepEqual(mine.map((e) => e.task), [...Array(TASKS).keys()], 'each task once, in order');
      const said = (await logsOf(store, id)).map((l) => `${l.level} ${l.message}`).filter((m) => /the store/i.test(m));
      // Once for the outage; on a loaded machine a write slower than the bound just before or after the cut is a
      // wait of its own, said as such: each wait said once, and each followed by its going on.
      assert.ok(said.length >= 2 && said.length % 2 === 0, said.join('\n'));
      for (let i = 0; i < said.length; i += 2) {
        assert.match(said[i]!, /^WARNING The store does not confirm the run's records .*new task runs wait for the store, those going on finish/);
        assert.match(said[i + 1]!, /^INFO The store confirms the run's records again: task runs start again/);
      }
    });
  });

  for (const cut of ['connections refused and reset', 'network link down (nothing answers)'] as const) {
    const noNetns = cut === 'network link down (nothing answers)' ? netnsUnavailable() : undefined;
    it(`past its fence, ${cut}: no task run starts while its writes are not confirmed, so the resume runs again at most those going when the outage began`, noNetns !== undefined ? { skip: `network namespaces unavailable (${noNetns})` } : {}, async () => {
      // Fenced 2.4 s after the cut (60% of a 4 s lease): ~16 such tasks' time.
      await withOutageWorker({ 'steady.flow.ts': STEADY }, { leaseSeconds: 4, netns: cut !== 'connections refused and reset' }, async (at) => {
        const { store, effectsFile } = at;
        const id = await runPartway(at, 'steady.flow.ts');
        const { atCut, atFence } = await outagePastFence(at, id);
        const run = (await store.readRun(id))!;
        assert.equal(run.state.name, 'Completed', await describeRuns(store, [id]));
        assert.equal(run.attempt, 2);
        const mine = effects(effectsFile).filter((e) => e.run === id);
        const ranAgain = [...new Set(mine.map((e) => e.task))].filter((t) => mine.filter((e) => e.task === t).length > 1);
        console.log(`${cut}: tasks done at the cut: ${atCut}; while cut off, until the host fenced itself: ${atFence - atCut}; run again on resume: ${ranAgain.length} (${ranAgain.join(', ')})`);
        for (let t = 0; t < TASKS; t++) assert.ok(mine.some((e) => e.task === t), `task ${t} never ran`);
        // The one going at the cut (or completed just before it, in the batch window), and those started before
        // the host had word back of its write — 2 to 4 here; past the bound (a heartbeat, at most 1 s: six of these
        // 150 ms tasks on a loaded machine) nothing more. Before the store waited: 15-16 of them.
        assert.ok(ranAgain.length <= 8, `${ranAgain.length} task(s) ran again: ${ranAgain.join(', ')}`);
      });
    });
  }
});
