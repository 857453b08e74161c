/**
 * A worker whose database goes away a while, mid-run, with a flow calling short subflows one after another:
 * a subflow call's start waits for the store as a task run's does (worker/storeWait.ts). Without it, the
 * call went to the host while the store was away: its subflow run's creation met the dead database, and past
 * the host's fence the subflows it ran meanwhile were on record nowhere.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { flowSource, tempDir, waitFor, workspace } from '../support/engine';
import { PG_SKIP, freshSchema, ownDatabaseUrl } from '../support/postgres';
import { describeRuns, effects, enqueue } from '../support/effectFlows';
import { startForwarder } from '../support/forwarder';
import { explainedBy, startWorker } from '../support/workers';

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
    const ws = workspace({ 'caller.flow.ts': CALLER });
    const schema = freshSchema();
    const url = await ownDatabaseUrl();
    const store = await PgStore.open(url, { home: tempDir(), schema, detectCrashed: false });
    const effectsFile = join(tempDir(), 'effects.log');
    writeFileSync(effectsFile, '');
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(url).port));
    // Fenced 3.6 s after the cut (60% of a 6 s lease); the cut lasts 1.5 s.
    const worker = await startWorker({ url: forwarder.url(url), schema, name: 'w1', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile }, heartbeatSeconds: 0.25, leaseSeconds: 6 });
    try {
      await explainedBy(worker, async () => {
        const [id] = await enqueue(store, ws, 'caller.flow.ts', 1);
        await waitFor(() => effects(effectsFile).length >= 5, 'the run to be partway through', 120_000);
        forwarder.cut();
        await new Promise((r) => setTimeout(r, 1500));
        forwarder.restore();
        await waitFor(async () => ['COMPLETED', 'FAILED', 'CRASHED'].includes((await store.readRun(id!))!.state.type), 'the run to end', 120_000);
        const run = (await store.readRun(id!))!;
        assert.equal(run.state.name, 'Completed', await describeRuns(store, [id!]));
        assert.equal(run.attempt, 1, 'the run went on in its first attempt');
        assert.deepEqual(effects(effectsFile).map((e) => e.task), [...Array(CALLS).keys()], 'each subflow once, in order');
        const children = (await store.list({})).filter((r) => r.id !== id);
        assert.equal(children.length, CALLS, 'one subflow run a call');
        assert.deepEqual([...new Set(children.map((r) => r.state.name))], ['Completed']);
      });
    } finally {
      await worker.stop();
      await forwarder.close();
      await store.close();
    }
  });

  it('past its fence: no subflow call starts while the writes are not confirmed, so the resume runs again at most those going when the outage began', async () => {
    const ws = workspace({ 'caller.flow.ts': CALLER });
    const schema = freshSchema();
    const url = await ownDatabaseUrl();
    const store = await PgStore.open(url, { home: tempDir(), schema, detectCrashed: false });
    const effectsFile = join(tempDir(), 'effects.log');
    writeFileSync(effectsFile, '');
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(url).port));
    // Fenced 2.4 s after the cut (60% of a 4 s lease): ~15 such calls' time.
    const worker = await startWorker({ url: forwarder.url(url), schema, name: 'w1', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile }, heartbeatSeconds: 0.25, leaseSeconds: 4 });
    try {
      await explainedBy(worker, async () => {
        const [id] = await enqueue(store, ws, 'caller.flow.ts', 1);
        await waitFor(() => effects(effectsFile).length >= 5, 'the run to be partway through', 120_000);
        forwarder.cut();
        const atCut = effects(effectsFile).length;
        await waitFor(() => /lost the lease on the store/.test(worker.output()), 'the worker to lose its lease', 30_000);
        const atFence = effects(effectsFile).length;
        await waitFor(async () => (await store.markCrashed()).includes(id!), 'the run to be settled Crashed', 30_000);
        forwarder.restore();
        await waitFor(async () => ['COMPLETED', 'FAILED'].includes((await store.readRun(id!))!.state.type), 'the resumed run to end', 120_000).catch(async (e: Error) => {
          throw new Error(`${e.message}\n${await describeRuns(store, [id!])}`);
        });
        const run = (await store.readRun(id!))!;
        assert.equal(run.state.name, 'Completed', await describeRuns(store, [id!]));
        assert.equal(run.attempt, 2);
        const calls = effects(effectsFile).map((e) => e.task);
        const ranAgain = [...new Set(calls)].filter((t) => calls.filter((c) => c === t).length > 1);
        console.log(`subflows done at the cut: ${atCut}; while cut off, until the host fenced itself: ${atFence - atCut}; run again on resume: ${ranAgain.length} (${ranAgain.join(', ')})`);
        for (let t = 0; t < CALLS; t++) assert.ok(calls.includes(t), `subflow ${t} never ran`);
        // The one going at the cut (or completed just before it, in the batch window), and the next, started
        // before the host had word back of its write; past the bound (a heartbeat here) nothing more.
        assert.ok(ranAgain.length <= 4, `${ranAgain.length} subflow(s) ran again: ${ranAgain.join(', ')}`);
      });
    } finally {
      await worker.stop();
      await forwarder.close();
      await store.close();
    }
  });
});
