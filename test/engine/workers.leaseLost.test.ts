/**
 * What `flowdeck worker` prints for a run it had when it lost its lease on the store (cut off past the
 * lease): the run is killed here and its end cannot be written (the store refuses a fenced host's writes),
 * so the store holds Crashed — then the resume elsewhere — never the Failed('Flowdeck could not record the
 * run…') the killed run ended with in this process. The worker says it lost the run, not a state it never wrote.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitFor } from '../support/engine';
import { PG_SKIP } from '../support/postgres';
import { describeRuns, effectFlow, effects, enqueue, setup } from '../support/effectFlows';
import { startForwarder } from '../support/forwarder';
import { explainedBy, startWorker } from '../support/workers';

describe('a worker that lost its lease mid-run', { timeout: 180_000, ...(PG_SKIP !== undefined ? { skip: PG_SKIP } : {}) }, () => {
  it('says it lost the run (left to be marked Crashed and resumed), not an end state the store never held', async () => {
    const { ws, schema, url, store, effectsFile } = await setup({ 'keep.flow.ts': effectFlow('keep', 300, 'resumeOnCrash: true') }, { ownDatabase: true });
    const forwarder = await startForwarder('127.0.0.1', Number(new URL(url).port));
    const worker = await startWorker({ url: forwarder.url(url), schema, name: 'w1', flowsDir: ws, concurrency: 1, env: { EFFECTS: effectsFile }, heartbeatSeconds: 0.25, leaseSeconds: 2 });
    try {
      await explainedBy(worker, async () => {
        const [id] = await enqueue(store, ws, 'keep.flow.ts', 1);
        await waitFor(() => effects(effectsFile).length >= 2, 'the run to be partway through', 60_000);
        const name = (await store.readRun(id!))!.name;
        forwarder.cut();
        // The worker fences itself and kills its run; its end, written under no lease, is refused.
        await waitFor(() => /lost the lease on the store/.test(worker.output()), 'the worker to lose its lease', 30_000);
        await waitFor(() => worker.output().includes(`${name} ended`) || worker.output().includes(`${name} lost`), 'the worker to say what became of its run', 30_000);
        await waitFor(async () => (await store.markCrashed()).includes(id!), 'the run to be settled Crashed', 30_000);
        forwarder.restore();
        await waitFor(async () => ['COMPLETED', 'FAILED'].includes((await store.readRun(id!))!.state.type), 'the run to end', 90_000).catch(async (e: Error) => {
          throw new Error(`${e.message}\n${await describeRuns(store, [id!])}`);
        });
        const run = (await store.readRun(id!))!;
        assert.equal(run.state.name, 'Completed', await describeRuns(store, [id!]));
        assert.equal(run.attempt, 2);
        await waitFor(() => /ended Completed/.test(worker.output()), 'the worker to say the resumed run completed', 30_000);
        const out = worker.output();
        // Attempt 1's end was never written: the store held Crashed, then the resume.
        assert.doesNotMatch(out, /ended Failed/);
        assert.doesNotMatch(out, /could not record the run/);
        // Each refused write is not said again: the lease's loss was said once, for all its runs.
        assert.doesNotMatch(out, /so it stops writing them/);
        assert.match(out, new RegExp(`${name} lost: worker w1 lost its lease on the store while it ran; it was stopped here and its end is not recorded: the store marks it Crashed \\(resumed elsewhere if its flow allows\\)`));
        assert.match(out, new RegExp(`${name} ended Completed`));
      });
    } finally {
      await worker.stop();
      await forwarder.close();
      await store.close();
    }
  });
});
