/**
 * A host's run slots (RunnerOptions.maxConcurrentRuns, the editor's `flowdeck.maxConcurrentRuns`): past
 * them a started run waits, before anything of it starts (no worker, no run in the store), says so to whoever
 * started it, and starts in its turn once a run ends. A run waiting for its flow's own concurrency slot holds
 * none meanwhile, takes one again once it has the flow's slot, and cancelled while it waits gives back both.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeRunner, tempDir, waitFor, workspace } from '../support/engine';
import { gatedFlow } from '../support/gatedFlow';
import { slotWaitText } from '../../src/extension/runs/present';
import { flowRunTag } from '../../src/engine/limits/flowRunSlot';

const GATED = gatedFlow('gated');
const ONE_AT_A_TIME = gatedFlow('one-at-a-time', ', concurrencyLimit: 1');

/** A runner of `maxConcurrentRuns` over a workspace of both flows; `p(n)`: run n's gate and mark files. */
async function twoFlows(maxConcurrentRuns: number) {
  const ws = workspace({ 'one.flow.ts': ONE_AT_A_TIME, 'gated.flow.ts': GATED });
  const { runner, store } = await makeRunner(tempDir(), { maxConcurrentRuns });
  const p = (n: string) => ({ gate: join(ws, `gate-${n}`), mark: join(ws, `started-${n}`) });
  return { runner, store, p, one: { kind: 'file' as const, path: join(ws, 'one.flow.ts') }, gated: { kind: 'file' as const, path: join(ws, 'gated.flow.ts') } };
}

describe('run slots', { timeout: 120_000 }, () => {
  it('a runner refuses a limit of run slots that is not a whole number ≥ 1 (NaN had every run wait for ever)', async () => {
    for (const maxConcurrentRuns of [Number.NaN, 0, 2.5, -1]) await assert.rejects(makeRunner(tempDir(), { maxConcurrentRuns }), RangeError, String(maxConcurrentRuns));
    const { runner } = await makeRunner(tempDir(), { maxConcurrentRuns: 64 });
    assert.ok(runner);
  });

  it('past maxConcurrentRuns a run waits, told so, with nothing of it started; the waiting ones start in the order they were started', async () => {
    const ws = workspace({ 'gated.flow.ts': GATED });
    const { runner, store } = await makeRunner(tempDir(), { maxConcurrentRuns: 1 });
    const p = (n: string) => ({ gate: join(ws, 'gate'), mark: join(ws, `started-${n}`) });
    const source = { kind: 'file' as const, path: join(ws, 'gated.flow.ts') };
    const a = await runner.start({ source, parameters: p('a') });
    await waitFor(() => existsSync(p('a').mark), 'the first run to start');
    const told: string[] = [];
    const b = runner.start({ source, parameters: p('b') }, { onSlotWait: (running) => told.push(`b ${running}`) });
    const c = runner.start({ source, parameters: p('c') }, { onSlotWait: (running) => told.push(`c ${running}`) });
    await waitFor(() => told.length === 2, 'both to be told they wait');
    assert.deepEqual(told.sort(), ['b 1', 'c 1']);
    assert.equal(existsSync(p('b').mark) || existsSync(p('c').mark), false, 'nothing of them started');
    await store.refresh();
    assert.deepEqual((await store.list()).map((r) => r.id), [a.id], 'no run of theirs in the store yet');
    writeFileSync(p('a').gate, '');
    const [ra, rb, rc] = await Promise.all([a, await b, await c].map((r) => r.done));
    for (const r of [ra!, rb!, rc!]) assert.equal(r.state.name, 'Completed', r.state.message);
    assert.ok(rb!.startTime! >= ra!.endTime! && rc!.startTime! >= rb!.endTime!, `one at a time, in order: ${[ra, rb, rc].map((r) => `${r!.startTime}–${r!.endTime}`).join(', ')}`);
    assert.equal(slotWaitText(4), 'waiting for a free run slot: 4 runs go at once in this window (flowdeck.maxConcurrentRuns)');
  });

  it("a run waiting for its flow's concurrency slot holds no run slot: another flow's run goes meanwhile; cancelled while it waits, it gives back what it held", async () => {
    const { runner, store, p, one, gated } = await twoFlows(2);
    const a1 = await runner.start({ source: one, parameters: p('a1') });
    await waitFor(() => existsSync(p('a1').mark), 'the first run of the limited flow to start');
    const a2 = await runner.start({ source: one, parameters: p('a2') });
    const a3 = await runner.start({ source: one, parameters: p('a3') });
    const waits = async (id: string): Promise<boolean> => {
      await store.refresh();
      return (await store.get(id))?.state.message?.startsWith('Waiting for a concurrency slot') === true;
    };
    await waitFor(async () => (await waits(a2.id)) && (await waits(a3.id)), 'both to wait for the flow slot', 60_000);
    // Two run slots, three runs of the flow: the two waiting hold none, so another flow's run starts now.
    const told: number[] = [];
    const b = await runner.start({ source: gated, parameters: p('b') }, { onSlotWait: (n) => told.push(n) });
    await waitFor(() => existsSync(p('b').mark), "another flow's run to start while they wait", 60_000);
    assert.equal(told.length, 0, 'it was never told to wait for a run slot');
    writeFileSync(p('b').gate, '');
    assert.equal((await b.done).state.name, 'Completed');
    // One cancelled while it waits ends Cancelled, never run.
    runner.cancel(a3.id, 'not needed');
    assert.equal((await a3.done).state.name, 'Cancelled');
    assert.equal(existsSync(p('a3').mark), false);
    writeFileSync(p('a1').gate, '');
    writeFileSync(p('a2').gate, '');
    assert.equal((await a1.done).state.name, 'Completed');
    assert.equal((await a2.done).state.name, 'Completed');
    // Every run slot was given back: two runs go at once again.
    const c1 = await runner.start({ source: gated, parameters: p('c1') });
    const c2 = await runner.start({ source: gated, parameters: p('c2') }, { onSlotWait: (n) => told.push(n) });
    await waitFor(() => existsSync(p('c1').mark) && existsSync(p('c2').mark), 'two runs to go at once', 60_000);
    assert.equal(told.length, 0, 'neither was told to wait');
    writeFileSync(p('c1').gate, '');
    writeFileSync(p('c2').gate, '');
    for (const r of [c1, c2]) assert.equal((await r.done).state.name, 'Completed');
  });

  it('a run that got its flow slot waits for a run slot; cancelled then, it gives the flow slot back', async () => {
    const { runner, store, p, one, gated } = await twoFlows(2);
    const stateOf = async (id: string): Promise<string | undefined> => {
      await store.refresh();
      const r = await store.get(id);
      return r && `${r.state.name}: ${r.state.message ?? ''}`;
    };
    const a1 = await runner.start({ source: one, parameters: p('a1') });
    await waitFor(() => existsSync(p('a1').mark), 'the first run of the limited flow to start');
    const a2 = await runner.start({ source: one, parameters: p('a2') });
    await waitFor(async () => (await stateOf(a2.id))?.startsWith('Pending: Waiting for a concurrency slot') === true, 'the second to wait for the flow slot', 60_000);
    // a1 and b hold the two run slots; c waits for one, first in line.
    const b = await runner.start({ source: gated, parameters: p('b') });
    await waitFor(() => existsSync(p('b').mark), "another flow's run to start", 60_000);
    let cWaits = false;
    const c = runner.start({ source: gated, parameters: p('c') }, { onSlotWait: () => (cWaits = true) });
    await waitFor(() => cWaits, 'a third run to wait for a run slot');
    // a1 ends: its run slot goes to c; a2 gets the flow's slot and waits for a run slot.
    writeFileSync(p('a1').gate, '');
    assert.equal((await a1.done).state.name, 'Completed');
    await waitFor(() => existsSync(p('c').mark), 'c to take the run slot a1 gave back', 60_000);
    const leases = async (): Promise<string[]> => (await store.limits.leases(flowRunTag('one-at-a-time'))).map((l) => l.holder.runId);
    await waitFor(async () => (await leases()).includes(a2.id), "a2 to hold the flow's slot", 60_000);
    assert.equal(existsSync(p('a2').mark), false, 'a2 waits for a run slot');
    runner.cancel(a2.id, 'not needed');
    assert.equal((await a2.done).state.name, 'Cancelled');
    assert.equal(existsSync(p('a2').mark), false, 'it never ran');
    assert.deepEqual(await leases(), [], "the flow's slot given back");
    writeFileSync(p('b').gate, '');
    writeFileSync(p('c').gate, '');
    assert.equal((await b.done).state.name, 'Completed');
    assert.equal((await (await c).done).state.name, 'Completed');
    const a3 = await runner.start({ source: one, parameters: p('a3') });
    writeFileSync(p('a3').gate, '');
    assert.equal((await a3.done).state.name, 'Completed');
  });

  it("as many runs wait for their flow's slot without a run slot as there are run slots; more wait holding theirs", async () => {
    const { runner, store, p, one, gated } = await twoFlows(2);
    const waits = async (id: string): Promise<boolean> => {
      await store.refresh();
      return (await store.get(id))?.state.message?.startsWith('Waiting for a concurrency slot') === true;
    };
    const a1 = await runner.start({ source: one, parameters: p('a1') });
    await waitFor(() => existsSync(p('a1').mark), 'the first run of the limited flow to start');
    // a2 and a3 wait for the flow's slot without a run slot (two: as many as there are); a4 waits holding one.
    const waiting = [];
    for (const n of ['a2', 'a3', 'a4']) {
      const r = await runner.start({ source: one, parameters: p(n) });
      await waitFor(() => waits(r.id), `${n} to wait for the flow's slot`, 60_000);
      waiting.push(r);
    }
    let told: number | undefined;
    const b = runner.start({ source: gated, parameters: p('b') }, { onSlotWait: (n) => (told = n) });
    await waitFor(() => told !== undefined, "another flow's run to be told it waits for a run slot");
    assert.equal(told, 2, 'a1 and a4 hold the two run slots');
    assert.equal(existsSync(p('b').mark), false);
    for (const r of waiting) runner.cancel(r.id, 'not needed');
    for (const r of waiting) assert.equal((await r.done).state.name, 'Cancelled');
    await waitFor(() => existsSync(p('b').mark), "the other flow's run to start once a4 gave its run slot back", 60_000);
    writeFileSync(p('a1').gate, '');
    writeFileSync(p('b').gate, '');
    assert.equal((await a1.done).state.name, 'Completed');
    assert.equal((await (await b).done).state.name, 'Completed');
  });
});
