/** A run's details panel, host side, driven in plain Node through a stub of the `vscode` API and of its webview panel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { RunStore } from '../../src/engine/runStore';
import { tempDir } from '../support/engine';
import { useVscodeStub } from '../support/vscodeStub';
import { panelStub } from '../support/webviewPanelStub';

useVscodeStub();

function fakeHost(store: () => Promise<RunStore>): unknown {
  const never = () => ({ dispose() {} });
  return { store, isCancelable: () => false, onDidChangeRun: never, onDidChangeStore: never, onDidChangeStoreHealth: never };
}

test('a request the panel refuses as invalid is answered with a refusal naming its number, not left without a reply', async () => {
  const { RunDetailsPanel } = await import('../../src/extension/runDetails/runDetailsPanel');
  const store = await EmbeddedStore.open(tempDir());
  const run = await store.createRun({ flowName: 'hello', source: '/ws/hello.flow.ts', parameters: {} });
  await run.close();
  const { panel, messages, posted } = panelStub();
  const notes: string[] = [];
  const details = new RunDetailsPanel(panel as never, run.id, run.name, { extensionUri: { path: '/ext' }, host: fakeHost(async () => store), output: { note: (m: string) => notes.push(m) }, flowIndex: {}, runLogs: {}, openRun: async () => false } as never, () => {});
  try {
    messages.fire({ type: 'ready' });
    const refusals = () => posted.filter((m) => (m as { type: string }).type === 'refused') as { req?: number; message: string }[];

    messages.fire({ type: 'openRun', req: 7, runId: '../../etc/passwd' });
    messages.fire({ type: 'exportLogs', req: 8, to: 'file', filter: { minLevel: 'INFO', search: 'x'.repeat(10_000) } });
    messages.fire({ type: 'expandResult', req: 'nine', path: [], offset: 0 });
    const [wrongId, tooLong, noNumber] = refusals();
    assert.equal(refusals().length, 3, JSON.stringify(posted));
    assert.equal(wrongId!.req, 7);
    assert.match(wrongId!.message, /openRun\.runId .* is not a run id/);
    assert.equal(tooLong!.req, 8);
    assert.match(tooLong!.message, /exportLogs\.filter\.search is longer than 500 characters/);
    assert.ok(tooLong!.message.length < 400, 'the refusal does not quote the long value back');
    assert.equal(noNumber!.req, undefined, 'a request number that is not one is not echoed');
    assert.match(noNumber!.message, /expandResult\.req must be a request number/);
    assert.equal(notes.length, 3, 'each refusal is also noted in the output');
  } finally {
    details.dispose();
    await store.close();
  }
});
