/**
 * `kill -9` of a `flowdeck worker` mid-run: its runs turn Crashed after its lease, are resumed on the other
 * workers from their checkpoints, and complete; nothing that had checkpointed is done twice.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRunSummary } from '../../src/engine/records';
import { waitFor } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { allEnded, assertNoCheckpointRedone, describeRuns, effectFlow, enqueue, setup } from '../support/effectFlows';
import { startWorker, type WorkerProc } from '../support/workers';

describe('flowdeck workers on a Postgres queue', { timeout: 600_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('kill -9 of a worker mid-run: its runs turn Crashed, are resumed on the others from their checkpoints, and complete', async () => {
    // 20 tasks of 400 ms: a run is still going a while after it is seen partway through, even on a loaded machine.
    // A database of its own, as the network-cut test: other files' fresh queues would stop these workers' queues.
    const { ws, schema, url, store, effectsFile } = await setup({ 'slow.flow.ts': effectFlow('slow', 400, 'retries: 1') }, { ownDatabase: true });
    const lease = { heartbeatSeconds: 0.25, leaseSeconds: 2 };
    const workers: WorkerProc[] = [];
    try {
      for (const name of ['k1', 'k2', 'k3']) workers.push(await startWorker({ url, schema, name, flowsDir: ws, concurrency: 2, env: { EFFECTS: effectsFile }, ...lease }));
      const ids = await enqueue(store, ws, 'slow.flow.ts', 6);
      // The victim: whichever worker is first seen partway through a run (the queue decides who takes what).
      let victim: FlowRunSummary | undefined;
      await waitFor(async () => {
        for (const r of (await allEnded(store, ids)).filter((r) => r.state.type === 'RUNNING')) {
          const d = await store.readRun(r.id);
          if (d && d.taskRuns.filter((t) => t.state.type === 'COMPLETED').length >= 3) victim = r;
        }
        return victim !== undefined;
      }, 'a worker to be partway through a run', 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, ids)}\n${workers.map((w) => `--- ${w.name}:\n${w.output().slice(-1500)}`).join('\n')}`);
      });
      const dead = workers.find((w) => w.name === victim!.owner.hostname)!;
      const killedAt = Date.now();
      await dead.kill9();
      await waitFor(async () => (await allEnded(store, ids)).every((r) => r.state.type === 'COMPLETED'), 'every run to complete after the kill', 240_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, ids)}`);
      });
      const detail = (await store.readRun(victim!.id))!;
      assert.ok(detail.attempt >= 2, `the victim was resumed (attempt ${detail.attempt})`);
      assert.ok(detail.states.some((s) => s.name === 'Crashed' && s.message === `worker ${dead.name} stopped responding`), detail.states.map((s) => `${s.name}: ${s.message}`).join('\n'));
      assert.notEqual(detail.owner.hostname, dead.name);
      const reused = detail.taskRuns.filter((t) => t.reusedFrom).length;
      assert.ok(reused >= 3, `checkpointed tasks were reused (${reused})`);
      const resumedAt = detail.states.find((s) => s.name === 'AwaitingRetry')!.timestamp;
      const { redoneInFlight } = await assertNoCheckpointRedone(store, effectsFile, ids);
      console.log(`kill -9 of ${dead.name}: resumed on ${detail.owner.hostname} ${((resumedAt - killedAt) / 1000).toFixed(1)} s later (lease 2 s); ${reused} task runs reused; ${redoneInFlight} task(s) in flight at the kill ran again`);
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
    }
  });
  it('a queued run of a resumeOnCrash flow (no retries) whose worker is killed is resumed on another worker', async () => {
    const { ws, schema, url, store, effectsFile } = await setup({ 'keep.flow.ts': effectFlow('keep', 300, 'resumeOnCrash: true') }, { ownDatabase: true });
    const lease = { heartbeatSeconds: 0.25, leaseSeconds: 2 };
    const workers: WorkerProc[] = [];
    try {
      for (const name of ['r1', 'r2']) workers.push(await startWorker({ url, schema, name, flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile }, ...lease }));
      const [id] = await enqueue(store, ws, 'keep.flow.ts', 1);
      await waitFor(async () => ((await store.readRun(id!))?.taskRuns.filter((t) => t.state.type === 'COMPLETED').length ?? 0) >= 2, 'the run to be partway through', 120_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, [id!])}`);
      });
      const owner = (await store.get(id!))!.owner.hostname;
      const dead = workers.find((w) => w.name === owner)!;
      await dead.kill9();
      await waitFor(async () => (await store.get(id!))?.state.type === 'COMPLETED', 'the run to be resumed elsewhere and complete', 240_000).catch(async (e: Error) => {
        throw new Error(`${e.message}\n${await describeRuns(store, [id!])}`);
      });
      const detail = (await store.readRun(id!))!;
      assert.equal(detail.attempt, 2, 'resumed once');
      assert.ok(detail.states.some((s) => s.name === 'Crashed' && s.message === `worker ${dead.name} stopped responding`));
      assert.notEqual(detail.owner.hostname, dead.name);
      assert.ok(detail.taskRuns.some((t) => t.reusedFrom), 'its checkpoints were reused');
      await assertNoCheckpointRedone(store, effectsFile, [id!]);
    } finally {
      for (const w of workers) await w.stop();
      await store.close();
    }
  });
});
