/**
 * The Runs view's work against the store, counted (not timed): a redraw asks the store a bounded number of
 * questions however many flows the history holds. Driven in plain Node through a stub of the `vscode` API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { RunStore } from '../../src/engine/runStore';
import { counted } from '../support/countedStore';
import { tempDir } from '../support/engine';
import { EventEmitter, useVscodeStub } from '../support/vscodeStub';

useVscodeStub();

function fakeHost(store: RunStore, storeChanges?: { event: unknown }): unknown {
  const never = () => ({ dispose() {} });
  return {
    store: async () => store,
    openedStore: store,
    activeProgress: [],
    isCancelable: () => false,
    liveFold: () => undefined,
    onDidChangeRun: never,
    onDidChangeTask: never,
    onDidChangeStore: storeChanges?.event ?? never,
    onDidChangeStoreHealth: never,
    onDidChangeProgress: never,
  };
}

test('a filtered Runs view grouped by flow asks the store a bounded number of questions, however many flows', async () => {
  const { RunsTreeProvider, FlowGroupNode } = await import('../../src/extension/runs/runsTree');
  const home = tempDir();
  const real = await EmbeddedStore.open(home);
  const FLOWS = 120;
  for (let i = 0; i < FLOWS; i++) {
    for (let j = 0; j < 2; j++) {
      const handle = await real.createRun({ flowName: `flow-${i}`, source: `/ws/f${i}.flow.ts`, parameters: {}, ...(j === 0 ? { tags: ['nightly'] } : {}) });
      void handle;
    }
  }
  const { store, calls } = counted(real);
  const tree = new RunsTreeProvider(fakeHost(store) as never);
  try {
    tree.setFilter({ tags: ['nightly'] });
    calls.clear();
    const roots = await tree.getChildren();
    assert.equal(roots.length, FLOWS, 'a row per flow with a matching run');
    assert.ok(roots.every((r) => r instanceof FlowGroupNode));
    const asked = [...calls.values()].reduce((a, b) => a + b, 0);
    assert.ok(asked <= 5, `the store was asked ${asked} questions for one redraw: ${JSON.stringify(Object.fromEntries(calls))}`);
  } finally {
    tree.dispose();
    await real.close?.();
  }
});

test('runs deleted by the thousand elsewhere (a prune) redraw the Runs view with a bounded number of store questions', async () => {
  const { RunsTreeProvider } = await import('../../src/extension/runs/runsTree');
  const home = tempDir();
  const real = await EmbeddedStore.open(home);
  const handles = [];
  for (let i = 0; i < 600; i += 50) handles.push(...(await Promise.all(Array.from({ length: 50 }, () => real.createRun({ flowName: 'hello', source: '/ws/hello.flow.ts', parameters: {} })))));
  for (const h of handles) await h.close();
  const { store, calls } = counted(real);
  const changes = new EventEmitter<{ ids: string[]; reset: boolean }>();
  const tree = new RunsTreeProvider(fakeHost(store, changes) as never);
  try {
    tree.setGrouped(false);
    await tree.getChildren();
    const gone = handles.slice(0, 500).map((h) => h.id);
    await real.delete(gone);
    calls.clear();
    changes.fire({ ids: gone, reset: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await tree.getChildren();
    const asked = [...calls.values()].reduce((a, b) => a + b, 0);
    assert.ok(asked <= 10, `the store was asked ${asked} questions for 500 runs deleted elsewhere: ${JSON.stringify(Object.fromEntries(calls))}`);
  } finally {
    tree.dispose();
  }
});

test("runs deleted by the thousand elsewhere do not make an open run's details read each one", async () => {
  const { RunDetailsPanel } = await import('../../src/extension/runDetails/runDetailsPanel');
  const home = tempDir();
  const real = await EmbeddedStore.open(home);
  const handles = [];
  for (let i = 0; i < 600; i += 50) handles.push(...(await Promise.all(Array.from({ length: 50 }, () => real.createRun({ flowName: 'hello', source: '/ws/hello.flow.ts', parameters: {} })))));
  for (const h of handles) await h.close();
  const shown = handles[599]!;
  const { store, calls } = counted(real);
  const changes = new EventEmitter<{ ids: string[]; reset: boolean }>();
  const messages = new EventEmitter<unknown>();
  const posted: unknown[] = [];
  const never = () => ({ dispose() {} });
  const panel = {
    title: '',
    visible: true,
    webview: { options: {}, html: '', cspSource: 'csp', asWebviewUri: (u: unknown) => u, onDidReceiveMessage: messages.event, postMessage: async (m: unknown) => posted.push(m) },
    onDidChangeViewState: never,
    onDidDispose: never,
    reveal() {},
    dispose() {},
  };
  const host = { ...(fakeHost(store, changes) as object), onDidChangeStore: changes.event };
  const details = new RunDetailsPanel(panel as never, shown.id, shown.name, { extensionUri: { path: '/ext' }, host, output: { note() {} }, flowIndex: {}, runLogs: {}, openRun: async () => false } as never, () => {});
  try {
    messages.fire({ type: 'ready' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const gone = handles.slice(0, 500).map((h) => h.id);
    await real.delete(gone);
    calls.clear();
    changes.fire({ ids: gone, reset: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const asked = [...calls.values()].reduce((a, b) => a + b, 0);
    assert.ok(asked <= 10, `the store was asked ${asked} questions for 500 other runs deleted: ${JSON.stringify(Object.fromEntries(calls))}`);
  } finally {
    details.dispose();
  }
});
