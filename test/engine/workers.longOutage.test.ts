/**
 * A `flowdeck worker` whose database goes away for longer than its lease (through a forwarder of this
 * process that cuts and refuses its connections): it fences itself and kills its run, whose queue job so
 * ends while the database is away — graphile-worker's completion of that job cannot reach it. The worker
 * lives on (it exited on that completion's unhandled ECONNREFUSED) and, the database back, takes runs again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { describeRuns, effectFlow, effects, enqueue, setup } from '../support/effectFlows';
import { startForwarder } from '../support/forwarder';
import { explainedBy, startWorker } from '../support/workers';

describe('a worker whose database goes away for longer than its lease', { timeout: 120_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('survives its run ending while the database is away, and takes runs once it is back', async () => {
    const { ws, schema, url, store, effectsFile } = await setup({ 'steady.flow.ts': effectFlow('steady', 300, ''), 'quick.flow.ts': effectFlow('quick', 1, '') });
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(url).port));
    const worker = await startWorker({ url: forwarder.url(url), schema, name: 'w1', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile }, heartbeatSeconds: 0.25, leaseSeconds: 2 });
    let exited = false;
    void worker.exited.then(() => (exited = true));
    try {
      await explainedBy(worker, async () => {
        const [first] = await enqueue(store, ws, 'steady.flow.ts', 1);
        await waitFor(() => effects(effectsFile).length >= 2, 'the run to be partway through', 60_000);
        forwarder.cut();
        // Cut off past its lease, it fences itself and kills its run: the run's job ends with no database.
        await waitFor(() => worker.output().includes('lost the lease') || exited, 'the worker to lose its lease', 30_000);
        await new Promise((r) => setTimeout(r, 15000));
        forwarder.restore();
        assert.equal(exited, false, 'the worker exited while the database was away');
        const [second] = await enqueue(store, ws, 'quick.flow.ts', 1);
        await waitFor(async () => exited || (await store.readRun(second!))?.state.type === 'COMPLETED', 'the run queued after the outage to complete', 60_000);
        assert.equal(exited, false, 'the worker exited after the database came back');
        assert.equal((await store.readRun(second!))!.state.name, 'Completed', await describeRuns(store, [first!, second!]));
      });
    } finally {
      await worker.stop();
      await forwarder.close();
      await store.close();
    }
  });
});
