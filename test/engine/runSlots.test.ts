/**
 * A host's run slots (RunnerOptions.maxConcurrentRuns, the editor's `flowdeck.maxConcurrentRuns`): past
 * them a started run waits, before anything of it starts (no worker, no run in the store), says so to whoever
 * started it, and starts in its turn once a run ends.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flowSource, makeRunner, tempDir, waitFor, workspace } from '../support/engine';
import { slotWaitText } from '../../src/extension/runs/present';

const GATED = flowSource(`
import { existsSync, writeFileSync } from 'node:fs';
export default flow({ name: 'gated' }, async ({ gate, mark }: { gate: string; mark: string }) => {
  writeFileSync(mark, '');
  while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 20));
  return 'done';
});`);

describe('run slots', { timeout: 120_000 }, () => {
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
});
