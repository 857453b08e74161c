/**
 * `flowdeck worker` for real, three worker processes with host names of their own on one Postgres store:
 * 60 queued runs of a 20-task flow, every task's side effect once. Bounded in count and time; figures printed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../support/engine';
import { PG_SKIP, pgUrl } from '../support/postgres';
import { TASKS, allEnded, effectFlow, effects, enqueue, setup } from '../support/effectFlows';
import { startWorker, type WorkerProc } from '../support/workers';

describe('flowdeck workers on a Postgres queue', { timeout: 600_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('three workers run 60 queued runs of a 20-task flow: all Completed, each task\'s side effect exactly once', async () => {
    const { ws, schema, store, effectsFile } = await setup({ 'effects.flow.ts': effectFlow('effects', 0, '') });
    const workers: WorkerProc[] = [];
    try {
      for (const name of ['w1', 'w2', 'w3']) workers.push(await startWorker({ url: pgUrl(), schema, name, flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile } }));
      const started = performance.now();
      const ids = await enqueue(store, ws, 'effects.flow.ts', 60);
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED' || r.state.type === 'FAILED' || r.state.type === 'CRASHED'), '60 runs to end', 480_000);
      const seconds = (performance.now() - started) / 1000;
      const runs = await allEnded(store, ids);
      assert.deepEqual(runs.filter((r) => r.state.type !== 'COMPLETED').map((r) => `${r.name}: ${r.state.name} ${r.state.message ?? ''}`), []);
      const all = effects(effectsFile);
      assert.equal(all.length, 60 * TASKS, 'one side effect per task');
      assert.equal(new Set(all.map((e) => `${e.run}:${e.task}`)).size, 60 * TASKS);
      const perHost = new Map<string, number>();
      for (const r of runs) perHost.set(r.owner.hostname, (perHost.get(r.owner.hostname) ?? 0) + 1);
      console.log(`60 runs × ${TASKS} tasks on 3 workers (concurrency 2 each): ${seconds.toFixed(1)} s, ${(60 / seconds).toFixed(2)} runs/s; by host: ${[...perHost].map(([h, n]) => `${h} ${n}`).join(', ')}`);
      assert.ok(perHost.size >= 2, `runs spread over workers: ${[...perHost.keys()].join(', ')}`);
      assert.deepEqual([...perHost.keys()].filter((h) => !['w1', 'w2', 'w3'].includes(h)), [], 'every run names the worker host that ran it');
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
    }
  });
});
