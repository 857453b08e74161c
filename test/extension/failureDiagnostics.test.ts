/**
 * The Problems panel's failure markers against the store, counted (not timed): a change naming hundreds of
 * runs (a prune elsewhere) is not read run by run. Driven in plain Node through a stub of the `vscode` API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { RunStore } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';
import { counted } from '../support/countedStore';
import { tempDir } from '../support/engine';
import { EventEmitter, useVscodeStub } from '../support/vscodeStub';

useVscodeStub();

async function finishedRun(store: RunStore, flowName: string, end: 'Completed' | 'Failed'): Promise<string> {
  const h = await store.createRun({ flowName, source: `/ws/${flowName}.flow.ts`, parameters: {} });
  await h.setState(end === 'Failed' ? state('Failed', 'boom', Date.now(), { name: 'Error', message: 'boom', frame: { file: `/ws/${flowName}.flow.ts`, line: 3, column: 5 } }) : state('Completed'), { endTime: Date.now() });
  await h.close();
  return h.id;
}

/** Lets the markers' reads that a change started run out (each is a chain of awaited store calls). */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
}

test('runs deleted by the hundred elsewhere (a prune) do not make the failure markers read each one', async () => {
  const { FailureDiagnostics } = await import('../../src/extension/failures/failureDiagnostics');
  const real = await EmbeddedStore.open(tempDir());
  const ids: string[] = [];
  for (let i = 0; i < 600; i++) ids.push(await finishedRun(real, 'hello', 'Completed'));
  await finishedRun(real, 'broken', 'Failed');
  const { store, calls, asked } = counted(real);
  const changes = new EventEmitter<{ ids: string[]; reset: boolean }>();
  const never = () => ({ dispose() {} });
  const markers = new FailureDiagnostics({ store: async () => store, onDidChangeRun: never, onDidChangeStore: changes.event } as never);
  try {
    await markers.restore();
    assert.equal(calls.get('readRunParts'), 1, "the failed flow's latest run is read for where it failed once");

    const gone = ids.slice(0, 500);
    await real.delete(gone);
    calls.clear();
    changes.fire({ ids: gone, reset: false });
    await settle();
    assert.ok(asked() <= 5, `the store was asked ${asked()} questions for 500 runs deleted elsewhere: ${JSON.stringify(Object.fromEntries(calls))}`);
    assert.equal(calls.get('readRunParts'), undefined, 'a failure already shown is not read again');

    // A burst elsewhere that ends with a failed run of a flow: still looked at, from the listing.
    const failed = await finishedRun(real, 'hello', 'Failed');
    calls.clear();
    changes.fire({ ids: [...ids.slice(500), failed, ...gone.slice(0, 150)], reset: false });
    await settle();
    assert.ok(asked() <= 5, `the store was asked ${asked()} questions for 251 runs changed elsewhere: ${JSON.stringify(Object.fromEntries(calls))}`);
    assert.equal(calls.get('readRunParts'), 1, 'the newly failed run is read for where it failed');
  } finally {
    markers.dispose();
    await real.close();
  }
});
