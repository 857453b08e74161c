/**
 * A `flowdeck worker` in a network namespace of its own (root, `ip netns`), cut off from the database and
 * brought back: it fences itself, its runs are resumed elsewhere, and nothing runs twice. Where namespaces
 * are unavailable the test is skipped saying why.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { allEnded, assertNoCheckpointRedone, describeRuns, effectFlow, effects, enqueue, setup } from '../support/effectFlows';
import { netnsUnavailable, startWorker, type WorkerProc } from '../support/workers';

describe('flowdeck workers on a Postgres queue', { timeout: 600_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  const noNetns = netnsUnavailable();
  it(
    'a worker cut off from the network fences itself; its runs are resumed elsewhere, and nothing runs twice when it comes back',
    noNetns !== undefined ? { skip: `network namespaces unavailable (${noNetns}); separate worker processes are used for the other tests` } : {},
    async () => {
      // A database of its own: other files' fresh queues beside it stopped these workers' queues again and
      // again (graphile-worker's database-wide migration notice), and the takeover did not come in time.
      const { ws, schema, url, store, effectsFile } = await setup({ 'slow.flow.ts': effectFlow('slow', 800, 'retries: 1') }, { ownDatabase: true });
      const lease = { heartbeatSeconds: 0.25, leaseSeconds: 3 };
      const workers: WorkerProc[] = [];
      // Where the test is, printed as it goes: the runner's file timeout (180 s) would otherwise end it saying nothing.
      const began = Date.now();
      const step = (what: string): void => console.log(`netcut +${((Date.now() - began) / 1000).toFixed(1)} s: ${what}`);
      try {
        workers.push(await startWorker({ url, schema, name: 'n1', flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile }, netns: true, ...lease }));
        step('n1 serving in its namespace');
        const ids = await enqueue(store, ws, 'slow.flow.ts', 2);
        await waitFor(async () => {
          const runs = await allEnded(store, ids);
          if (!runs.every((r) => r.state.type === 'RUNNING' && r.owner.hostname === 'n1')) return false;
          const done = await Promise.all(runs.map(async (r) => (await store.readRun(r.id))!.taskRuns.filter((t) => t.state.type === 'COMPLETED').length));
          return done.every((n) => n >= 3);
        }, 'worker n1 to be partway through both runs', 60_000);
        step('n1 partway through both runs');
        for (const name of ['n2', 'n3']) workers.push(await startWorker({ url, schema, name, flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile }, ...lease }));
        // The runs last 16 s each: still going on n1 when the others are up (else the cut tests nothing).
        assert.ok((await allEnded(store, ids)).every((r) => r.state.type === 'RUNNING' && r.owner.hostname === 'n1'), await describeRuns(store, ids));
        step('n2 and n3 serving; cutting n1');
        const cutAt = Date.now();
        workers[0]!.netns!.cut();
        await waitFor(async () => (await allEnded(store, ids)).every((r) => r.owner.hostname !== 'n1' && r.attempt >= 2), 'both runs to be taken over', 60_000).catch(async (e: Error) => {
          throw new Error(`${e.message}\n${await describeRuns(store, ids)}\n--- n2:\n${workers[1]!.output().slice(-2000)}\n--- n3:\n${workers[2]!.output().slice(-2000)}`);
        });
        step('both runs taken over; n1 back');
        workers[0]!.netns!.restore();
        await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'both runs to complete', 90_000).catch(async (e: Error) => {
          throw new Error(`${e.message}\n${await describeRuns(store, ids)}`);
        });
        step('both runs Completed');
        await waitFor(() => workers[0]!.output().includes('lost the lease'), 'n1 to say it lost its lease', 15_000);
        const { redoneInFlight } = await assertNoCheckpointRedone(store, effectsFile, ids);
        const after = effects(effectsFile).filter((e) => e.host === 'n1' && e.ts > cutAt + 3000);
        assert.deepEqual(after, [], 'n1 did nothing once its lease had lapsed');
        for (const id of ids) {
          const d = (await store.readRun(id))!;
          assert.ok(d.states.some((s) => s.name === 'Crashed' && s.message === 'worker n1 stopped responding'));
        }
        console.log(`network cut of n1 (namespace link down): both runs resumed on ${[...new Set((await allEnded(store, ids)).map((r) => r.owner.hostname))].join(', ')}; ${redoneInFlight} task(s) in flight at the cut ran again`);
      } finally {
        step('stopping the workers');
        for (const w of workers) await w.stop();
        await store.close();
      }
    },
  );
});
