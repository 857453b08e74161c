/**
 * Many writers, one store: 32 CLI processes at once, three rounds, each run with a subflow, while this
 * process folds the index into snapshots as fast as it can. Every run must be in the index, every record
 * in its journal, every CLI exit as its run ended. Bounded in count; the figures are printed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { flowSource, logsOf, runCli, tempDir, workspace } from '../support/engine';

const WRITERS = Number(process.env.FLOWDECK_STRESS_WRITERS ?? 32);
const ROUNDS = 3;

const FLOW = flowSource(`
const step = task({ name: 'step' }, async (i: number) => { getRunLogger().info('step ' + i); return i; });
const child = flow({ name: 'child' }, async ({ n }: { n: number }) => { for (let i = 0; i < 2; i++) await step(i); return n; });
export default flow({ name: 'stress' }, async ({ n }: { n: number }) => {
  for (let i = 0; i < 3; i++) await step(i);
  getRunLogger().info('calling child');
  return (await child({ n })) + 1;
});`);

describe('the store under concurrent writers', { timeout: 600_000 }, () => {
  it(`${WRITERS} CLI runs at once × ${ROUNDS} rounds with two compactors racing them: nothing lost`, async () => {
    const home = tempDir();
    const ws = workspace({ 'stress.flow.ts': FLOW });
    // Two compactors (as two editor windows would be), each folding the index as often as it can.
    const compactors = [await EmbeddedStore.open(home), await EmbeddedStore.open(home)];
    let compactions = 0;
    let racing = true;
    const races = compactors.map(async (compactor) => {
      while (racing) {
        try {
          if (await compactor.compact()) compactions++;
        } catch (e) {
          racing = false;
          throw e;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    });
    const started = performance.now();
    const expected: { id: string; n: number }[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const results = await Promise.all(
          Array.from({ length: WRITERS }, (_, i) => runCli(['run', 'stress.flow.ts', '--json', '--param', `n=${round * 1000 + i}`], { cwd: ws, env: { FLOWDECK_HOME: home } })),
        );
        for (const [i, r] of results.entries()) {
          assert.equal(r.code, 0, `round ${round} writer ${i}: exit ${r.code}\n${r.stderr.slice(-2000)}`);
          const doc = JSON.parse(r.stdout) as { id: string; state: { name: string }; result: number };
          assert.equal(doc.state.name, 'Completed');
          assert.equal(doc.result, round * 1000 + i + 1);
          expected.push({ id: doc.id, n: round * 1000 + i });
        }
      }
    } finally {
      racing = false;
      await Promise.all(races);
      for (const c of compactors) await c.close();
    }
    const elapsedMs = performance.now() - started;

    const store = await EmbeddedStore.open(home, { readOnly: true });
    const all = await store.list();
    assert.equal(all.length, WRITERS * ROUNDS * 2, 'every run and subflow run is in the index');
    let records = 0;
    for (const { id } of expected) {
      const run = await store.get(id);
      assert.equal(run?.state.name, 'Completed', `run ${id} in the index`);
      const [, sub] = await store.runTree(id);
      assert.equal(sub?.flowName, 'child');
      assert.equal(sub?.state.name, 'Completed');
      const detail = (await store.readRun(id))!;
      const subDetail = (await store.readRun(sub!.id))!;
      assert.equal(detail.skippedRecords + subDetail.skippedRecords, 0);
      assert.equal(detail.taskRuns.length, 3);
      assert.equal(subDetail.taskRuns.length, 2);
      const logs = (await logsOf(store, id)).map((l) => l.message);
      for (const line of ['step 0', 'step 1', 'step 2', 'calling child', 'Finished in state Completed()']) assert.ok(logs.includes(line), `${line} in run ${id}`);
      records += detail.states.length + detail.taskRuns.length * 3 + logs.length + subDetail.states.length + subDetail.taskRuns.length * 3;
    }
    console.log(
      `# ${WRITERS} writers × ${ROUNDS} rounds: ${all.length} runs (${expected.length} with a subflow each), ~${records} records, ${WRITERS * 2} processes at a time, ${compactions} compactions raced, 0 lost; ${(elapsedMs / 1000).toFixed(1)} s`,
    );
    await store.close();
  });
});
