/**
 * A worker whose database goes away a while, mid-run, with a flow calling short subflows one after another:
 * a subflow call's start waits for the store as a task run's does (worker/storeWait.ts). Without it, the
 * call went to the host while the store was away: its subflow run's creation met the dead database, and past
 * the host's fence the subflows it ran meanwhile were on record nowhere.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flowSource } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { describeRuns, effects } from '../support/effectFlows';
import { briefOutage, outagePastFence, runPartway, withOutageWorker } from '../support/pgOutage';

const CALLS = 40;

/** CALLS subflow runs one after another, each a task of ~150 ms leaving a line `runId call host pid time` in EFFECTS. */
const CALLER = flowSource(`
import { appendFileSync } from 'node:fs';
const effect = task({ name: 'effect' }, async (i: number) => {
  await new Promise((r) => setTimeout(r, 150));
  appendFileSync(process.env.EFFECTS!, getRunContext().flowRunId + ' ' + i + ' ' + process.env.EFFECT_HOST + ' ' + process.pid + ' ' + Date.now() + '\\n');
  return i;
});
const child = flow({ name: 'child' }, async ({ i }: { i: number }) => effect(i));
export default flow({ name: 'caller', resumeOnCrash: true }, async () => {
  let sum = 0;
  for (let i = 0; i < ${CALLS}; i++) sum += await child({ i });
  return sum;
});`);

describe('a worker whose database goes away a while, mid-run, with a flow calling subflows in sequence', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('within its lease: the subflow calls wait for the store, then go on; the run Completes, each subflow once', async () => {
    // Fenced 3.6 s after the cut (60% of a 6 s lease); the cut lasts 1.5 s.
    await withOutageWorker({ 'caller.flow.ts': CALLER }, { leaseSeconds: 6 }, async (at) => {
      const { store, effectsFile } = at;
      const id = await runPartway(at, 'caller.flow.ts');
      await briefOutage(at, id, 1500);
      const run = (await store.readRun(id))!;
      assert.equal(run.state.name, 'Completed', await describeRuns(store, [id]));
      assert.equal(run.attempt, 1, 'the run went on in its first attempt');
      assert.deepEqual(effects(effectsFile).map((e) => e.task), [...Array(CALLS).keys()], 'each subflow once, in order');
      const children = (await store.list({})).filter((r) => r.id !== id);
      assert.equal(children.length, CALLS, 'one subflow run a call');
      assert.deepEqual([...new Set(children.map((r) => r.state.name))], ['Completed']);
    });
  });

  it('past its fence: no subflow call starts while the writes are not confirmed, so the resume runs again at most those going when the outage began', async () => {
    // Fenced 2.4 s after the cut (60% of a 4 s lease): ~15 such calls' time.
    await withOutageWorker({ 'caller.flow.ts': CALLER }, { leaseSeconds: 4 }, async (at) => {
      const { store, effectsFile } = at;
      const id = await runPartway(at, 'caller.flow.ts');
      const { atCut, atFence } = await outagePastFence(at, id);
      const run = (await store.readRun(id))!;
      assert.equal(run.state.name, 'Completed', await describeRuns(store, [id]));
      assert.equal(run.attempt, 2);
      const calls = effects(effectsFile).map((e) => e.task);
      const ranAgain = [...new Set(calls)].filter((t) => calls.filter((c) => c === t).length > 1);
      console.log(`subflows done at the cut: ${atCut}; while cut off, until the host fenced itself: ${atFence - atCut}; run again on resume: ${ranAgain.length} (${ranAgain.join(', ')})`);
      for (let t = 0; t < CALLS; t++) assert.ok(calls.includes(t), `subflow ${t} never ran`);
      // The one going at the cut (or completed just before it, in the batch window), and the next, started
      // before the host had word back of its write; past the bound (a heartbeat here) nothing more.
      assert.ok(ranAgain.length <= 4, `${ranAgain.length} subflow(s) ran again: ${ranAgain.join(', ')}`);
    });
  });
});
