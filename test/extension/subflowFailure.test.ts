import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { subflowFailureOf } from '../../src/extension/failures/subflowFailure';
import { failureViewOf } from '../../src/extension/runDetails/detailsModel';
import { flowSource, makeRunner, tempDir, workspace } from '../support/engine';

describe("a run failed by a subflow run's failure", { timeout: 180_000 }, () => {
  it('is traced to the line the subflow run (or its own subflow run) failed at; the card names and links that subflow run', async () => {
    // Line 2 of the file is the `throw` (flowSource puts the import on line 1).
    const ws = workspace({
      'sub.flow.ts': flowSource(`const inner = flow({ name: 'inner' }, async () => { throw new Error('child broke at line 2'); });
const middle = flow({ name: 'middle' }, async () => { await inner(); });
export const direct = flow({ name: 'direct' }, async () => { await inner(); });
export const nested = flow({ name: 'nested' }, async () => { await middle(); });
export const plain = flow({ name: 'plain' }, async () => { throw new Error('own failure'); });`),
    });
    const { store, runner } = await makeRunner(tempDir());
    const run = (flowName: string) => runner.start({ source: { kind: 'file', path: join(ws, 'sub.flow.ts') }, flowName }).then((r) => r.done);

    const direct = await run('direct');
    assert.equal(direct.state.name, 'Failed');
    assert.match(direct.state.message ?? '', /^Subflow run '.+' ended in state Failed/);
    const [child] = await store.list({ parentRunId: direct.id });
    const found = (await subflowFailureOf(store, direct))!;
    assert.equal(found.run.id, child!.id, 'the subflow run it awaited');
    assert.deepEqual([found.site?.file, found.site?.line, found.site?.runId], [join(ws, 'sub.flow.ts'), 2, child!.id]);
    const view = failureViewOf(direct, (f) => f.replace(`${ws}/`, ''), found)!;
    assert.equal(view.subflowRunId, child!.id);
    assert.equal(view.subflowRunName, child!.name);
    assert.equal(view.message, 'child broke at line 2');
    assert.match(view.where ?? '', /^sub\.flow\.ts:2:\d+$/);

    // Two levels down: the card links to the subflow run it awaited, the line is the innermost's.
    const nested = await run('nested');
    const [middle] = await store.list({ parentRunId: nested.id });
    const deep = (await subflowFailureOf(store, nested))!;
    assert.equal(deep.run.id, middle!.id);
    assert.equal(deep.site?.line, 2);
    assert.notEqual(deep.site?.runId, middle!.id, "the line is the inner run's");

    assert.equal(await subflowFailureOf(store, await run('plain')), undefined, 'a failure of its own code');
    await store.close();
  });
});
