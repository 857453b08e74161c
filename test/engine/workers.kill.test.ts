/**
 * `kill -9` of a `flowdeck worker` mid-run: its runs turn Crashed after its lease, are resumed on the other
 * workers from their checkpoints, and complete; nothing that had checkpointed is done twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRunSummary } from '../../src/engine/records';
import { waitFor } from '../support/engine';
import { PG_SKIP, pgUrl } from '../support/postgres';
import { allEnded, assertNoCheckpointRedone, effectFlow, enqueue, setup } from '../support/effectFlows';
import { startWorker, type WorkerProc } from '../support/workers';

describe('flowdeck workers on a Postgres queue', { timeout: 600_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('kill -9 of a worker mid-run: its runs turn Crashed, are resumed on the others from their checkpoints, and complete', async () => {
    const { ws, schema, store, effectsFile } = await setup({ 'slow.flow.ts': effectFlow('slow', 150, 'retries: 1') });
    const lease = { heartbeatSeconds: 0.25, leaseSeconds: 2 };
    const workers: WorkerProc[] = [];
    try {
      for (const name of ['k1', 'k2', 'k3']) workers.push(await startWorker({ url: pgUrl(), schema, name, flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile }, ...lease }));
      const ids = await enqueue(store, ws, 'slow.flow.ts', 6);
      // Wait until k1 is running a run that has checkpointed a few tasks.
      let victim: FlowRunSummary | undefined;
      await waitFor(async () => {
        const running = (await allEnded(store, ids)).filter((r) => r.state.type === 'RUNNING' && r.owner.hostname === 'k1');
        for (const r of running) {
          const d = await store.readRun(r.id);
          if (d && d.taskRuns.filter((t) => t.state.type === 'COMPLETED').length >= 3) victim = r;
        }
        return victim !== undefined;
      }, 'worker k1 to be partway through a run', 120_000);
      const killedAt = Date.now();
      await workers[0]!.kill9();
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'every run to complete after the kill', 240_000);
      const detail = (await store.readRun(victim!.id))!;
      assert.ok(detail.attempt >= 2, `the victim was resumed (attempt ${detail.attempt})`);
      assert.ok(detail.states.some((s) => s.name === 'Crashed' && s.message === 'worker k1 stopped responding'), detail.states.map((s) => `${s.name}: ${s.message}`).join('\n'));
      assert.notEqual(detail.owner.hostname, 'k1');
      const reused = detail.taskRuns.filter((t) => t.reusedFrom).length;
      assert.ok(reused >= 3, `checkpointed tasks were reused (${reused})`);
      const resumedAt = detail.states.find((s) => s.name === 'AwaitingRetry')!.timestamp;
      const { redoneInFlight } = await assertNoCheckpointRedone(store, effectsFile, ids);
      console.log(`kill -9 of k1: resumed on ${detail.owner.hostname} ${((resumedAt - killedAt) / 1000).toFixed(1)} s later (lease 2 s); ${reused} task runs reused; ${redoneInFlight} task(s) in flight at the kill ran again`);
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
    }
  });
});
