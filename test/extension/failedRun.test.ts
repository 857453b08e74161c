import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readFailedRun } from '../../src/extension/failures/failedRun';
import { failureSiteOf } from '../../src/extension/failures/failureSite';
import { flowSource, makeRunner, tempDir, workspace } from '../support/engine';

describe('a failed run read for where it failed', { timeout: 180_000 }, () => {
  it('keeps only the failed task runs (and the one asked for), and finds the same failure site as the whole run', async () => {
    const ws = workspace({
      'many.flow.ts': flowSource(`const step = task({ name: 'step' }, async (i: number) => {
  if (i === 700 || i === 2500) throw new Error('bad item ' + i);
  return i;
});
export default flow({ name: 'many' }, async () => {
  const settled = await Promise.allSettled(Array.from({ length: 3000 }, (_, i) => step(i)));
  const failed = settled.filter((s) => s.status === 'rejected');
  if (failed.length > 0) throw (failed[0] as PromiseRejectedResult).reason;
  return settled.length;
});`),
    });
    const { store, runner } = await makeRunner(tempDir());
    const detail = await (await runner.start({ source: { kind: 'file', path: join(ws, 'many.flow.ts') } })).done;
    assert.equal(detail.state.name, 'Failed');
    const whole = (await store.readRun(detail.id))!;
    assert.equal(whole.taskRuns.length, 3000);

    const failed = (await readFailedRun(store, detail.id))!;
    assert.deepEqual(failed.taskRuns.map((t) => t.name), ['step-700', 'step-2500']);
    const site = failureSiteOf(failed);
    assert.ok(site, 'a failure site');
    assert.deepEqual(site, failureSiteOf(whole));
    assert.match(site.message, /bad item 700/);

    const asked = whole.taskRuns.find((t) => t.name === 'step-1234')!;
    const withAsked = (await readFailedRun(store, detail.id, asked.id))!;
    assert.deepEqual(withAsked.taskRuns.map((t) => t.name), ['step-700', 'step-1234', 'step-2500']);
    const failedTask = whole.taskRuns.find((t) => t.name === 'step-2500')!;
    assert.deepEqual(failureSiteOf((await readFailedRun(store, detail.id, failedTask.id))!, failedTask.id), failureSiteOf(whole, failedTask.id));
    assert.equal(await readFailedRun(store, 'no-such-run'), undefined);
    await store.close();
  });
});
