/**
 * A `flowdeck worker` frozen mid-run (SIGSTOP of its own process alone — the run's worker process goes on):
 * its lease lapses and another worker resumes the run, so the frozen host cannot fence its run itself. The
 * run's process ends on its own once the lease it was told of stops holding: never two attempts at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRunSummary } from '../../src/engine/records';
import { waitFor } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { allEnded, assertNoCheckpointRedone, describeRuns, effectFlow, effects, enqueue, setup } from '../support/effectFlows';
import { startWorker, type WorkerProc } from '../support/workers';

describe('a frozen flowdeck worker', { timeout: 300_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('its run is resumed on another worker, and its own run process ends once its lease no longer holds: the attempts never overlap', async () => {
    const { ws, schema, url, store, effectsFile } = await setup({ 'slow.flow.ts': effectFlow('slow', 300, 'retries: 1') }, { ownDatabase: true });
    const lease = { heartbeatSeconds: 0.25, leaseSeconds: 2 };
    const workers: WorkerProc[] = [];
    let frozen: WorkerProc | undefined;
    try {
      for (const name of ['f1', 'f2']) workers.push(await startWorker({ url, schema, name, flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile }, ...lease }));
      const ids = await enqueue(store, ws, 'slow.flow.ts', 1);
      let run: FlowRunSummary | undefined;
      await waitFor(async () => {
        const [r] = await allEnded(store, ids);
        const d = r?.state.type === 'RUNNING' ? await store.readRun(r.id) : undefined;
        if (d && d.taskRuns.filter((t) => t.state.type === 'COMPLETED').length >= 3) run = r;
        return run !== undefined;
      }, 'the run to be partway through', 120_000);
      frozen = workers.find((w) => w.name === run!.owner.hostname)!;
      process.kill(frozen.child.pid!, 'SIGSTOP');
      const frozenAt = Date.now();
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'the run to complete on the other worker', 180_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, ids)}`);
      });
      const detail = (await store.readRun(run!.id))!;
      assert.ok(detail.attempt >= 2, `resumed (attempt ${detail.attempt})`);
      assert.notEqual(detail.owner.hostname, frozen.name);
      const { redoneInFlight } = await assertNoCheckpointRedone(store, effectsFile, ids);
      const old = effects(effectsFile).filter((e) => e.host === frozen!.name);
      const lastOld = Math.max(...old.map((e) => e.ts));
      console.log(`frozen ${frozen.name}: its run process's last effect ${lastOld - frozenAt} ms after the freeze (lease 2 s); resumed on ${detail.owner.hostname}; ${redoneInFlight} task(s) in flight ran again`);
    } finally {
      if (frozen) process.kill(frozen.child.pid!, 'SIGCONT');
      for (const w of workers) await w.stop();
      await store.close();
    }
  });
});
