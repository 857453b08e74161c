/**
 * The Problems panel's failure markers against the store, counted (not timed): a change naming hundreds of
 * runs (a prune elsewhere) is not read run by run. Driven in plain Node through a stub of the `vscode` API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { RunStore } from '../../src/engine/runStore';
import type { FailureDiagnostics } from '../../src/extension/failures/failureDiagnostics';
import { stateRecord } from '../../src/engine/stateRecord';
import { state } from '../../src/engine/states';
import { counted } from '../support/countedStore';
import { tempDir } from '../support/engine';
import { diagnosticCollections, EventEmitter, useVscodeStub, useWorkspaceFolders } from '../support/vscodeStub';

useVscodeStub();

async function finishedRun(store: RunStore, flowName: string, end: 'Completed' | 'Failed'): Promise<string> {
  const h = await store.createRun({ flowName, source: `/ws/${flowName}.flow.ts`, parameters: {} });
  await h.setState(end === 'Failed' ? state('Failed', 'boom', Date.now(), { name: 'Error', message: 'boom', frame: { file: `/ws/${flowName}.flow.ts`, line: 3, column: 5 } }) : state('Completed'), { endTime: Date.now() });
  await h.close();
  return h.id;
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
    await markers.idle();
    assert.ok(asked() <= 5, `the store was asked ${asked()} questions for 500 runs deleted elsewhere: ${JSON.stringify(Object.fromEntries(calls))}`);
    assert.equal(calls.get('readRunParts'), undefined, 'a failure already shown is not read again');

    // A burst elsewhere that ends with a failed run of a flow: still looked at, from the listing.
    const failed = await finishedRun(real, 'hello', 'Failed');
    calls.clear();
    changes.fire({ ids: [...ids.slice(500), failed, ...gone.slice(0, 150)], reset: false });
    await markers.idle();
    assert.ok(asked() <= 5, `the store was asked ${asked()} questions for 251 runs changed elsewhere: ${JSON.stringify(Object.fromEntries(calls))}`);
    assert.equal(calls.get('readRunParts'), 1, 'the newly failed run is read for where it failed');
  } finally {
    markers.dispose();
    await real.close();
  }
});

/** The Problems panel's markers now, by file: how many each file has. */
function shown(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [file, list] of diagnosticCollections.at(-1)!.byFile) if (list.length > 0) out[file] = list.length;
  return out;
}

async function endedRun(store: RunStore, flowName: string, end: 'Completed' | 'Failed' | 'Cancelled', parentRunId?: string): Promise<string> {
  const h = await store.createRun({ flowName, source: `/ws/${flowName}.flow.ts`, parameters: {}, parentRunId });
  const failure = { name: 'Error', message: 'boom', frame: { file: `/ws/${flowName}.flow.ts`, line: 3, column: 5 } };
  const s = end === 'Failed' ? state('Failed', 'boom', Date.now(), failure) : state(end);
  await h.append([stateRecord(h.id, s)]);
  await h.setState(s, { endTime: Date.now() });
  await h.close();
  return h.id;
}

/** `count` completed runs of `flowName`, oldest first. */
async function completedRuns(store: RunStore, flowName: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await endedRun(store, flowName, 'Completed'));
  return ids;
}

/**
 * The failure markers of a fresh store in workspace folder /ws, told of changes elsewhere by `changes.fire`;
 * not restored yet. Disposed, and the store closed, once `body` is done.
 */
async function withMarkers(body: (real: EmbeddedStore, changes: EventEmitter<{ ids: string[]; reset: boolean }>, markers: FailureDiagnostics) => Promise<void>): Promise<void> {
  const { FailureDiagnostics } = await import('../../src/extension/failures/failureDiagnostics');
  useWorkspaceFolders(['/ws']);
  const real = await EmbeddedStore.open(tempDir());
  const changes = new EventEmitter<{ ids: string[]; reset: boolean }>();
  const never = () => ({ dispose() {} });
  const markers = new FailureDiagnostics({ store: async () => real, onDidChangeRun: never, onDidChangeStore: changes.event } as never);
  try {
    await body(real, changes, markers);
  } finally {
    useWorkspaceFolders([]);
    markers.dispose();
    await real.close();
  }
}

test("a burst elsewhere shows a subflow run's failure, and a failed run that is not its flow's latest", () =>
  withMarkers(async (real, changes, markers) => {
    await markers.restore();
    const burst = await completedRuns(real, 'hello', 250);
    // A parent that failed for its subflow's failure: the line is the subflow's.
    const parent = await real.createRun({ flowName: 'parent', source: '/ws/parent.flow.ts', parameters: {} });
    burst.push(await endedRun(real, 'child', 'Failed', parent.id));
    const failedBySubflow = { ...state('Failed', "Subflow run 'x' ended in state Failed('boom')"), subflowRunId: burst.at(-1) };
    await parent.append([stateRecord(parent.id, failedBySubflow)]);
    await parent.setState(failedBySubflow, { endTime: Date.now() });
    await parent.close();
    burst.push(parent.id);
    // Failed, then a later run cancelled: the failure is still the flow's latest.
    burst.push(await endedRun(real, 'etl', 'Failed'), await endedRun(real, 'etl', 'Cancelled'));
    // Failed, then completed, then cancelled: the completion cleared it.
    burst.push(await endedRun(real, 'mended', 'Failed'), await endedRun(real, 'mended', 'Completed'), await endedRun(real, 'mended', 'Cancelled'));
    changes.fire({ ids: burst, reset: false });
    await markers.idle();
    assert.deepEqual(shown(), { '/ws/child.flow.ts': 1, '/ws/etl.flow.ts': 1 });
  }));

test('a marker goes when its run is deleted, here or by another process (one by one or by the hundred)', () =>
  withMarkers(async (real, changes, markers) => {
    const one = await endedRun(real, 'one', 'Failed');
    const many = await completedRuns(real, 'many', 300);
    many.push(await endedRun(real, 'many', 'Failed'));
    await markers.restore();
    assert.deepEqual(shown(), { '/ws/one.flow.ts': 1, '/ws/many.flow.ts': 1 });

    await real.delete([one]);
    changes.fire({ ids: [one], reset: false });
    await markers.idle();
    assert.deepEqual(shown(), { '/ws/many.flow.ts': 1 }, 'a run deleted alone takes its marker');

    await real.delete(many);
    changes.fire({ ids: many, reset: false });
    await markers.idle();
    assert.deepEqual(shown(), {}, 'a run pruned with hundreds of others takes its marker');
  }));
