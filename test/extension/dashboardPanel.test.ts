/** The dashboard panel, host side, driven in plain Node through a stub of the `vscode` API and of its webview panel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { tempDir } from '../support/engine';
import { useVscodeStub } from '../support/vscodeStub';
import { panelStub } from '../support/webviewPanelStub';

useVscodeStub();

test('a request the dashboard refuses as invalid is answered with a refusal naming its number, not left without a reply', async () => {
  const { DashboardPanel } = await import('../../src/extension/dashboard/panel');
  const store = await EmbeddedStore.open(tempDir());
  const { panel, messages, posted } = panelStub();
  const notes: string[] = [];
  const never = () => ({ dispose() {} });
  const host = { store: async () => store, onDidChangeRun: never, onDidChangeStore: never, onDidLog: never };
  const dashboard = new DashboardPanel(panel as never, {}, { extensionUri: { path: '/ext' }, host, launcher: {}, output: { note: (m: string) => notes.push(m) } } as never, () => {});
  try {
    messages.fire({ type: 'ready' });
    const refusals = () => posted.filter((m) => (m as { type: string }).type === 'refused') as { req?: number; message: string }[];

    messages.fire({ type: 'saveLog', req: 7, runId: '../../etc/passwd' });
    messages.fire({ type: 'runFlow', req: 8, flowId: 'x'.repeat(10_000) });
    messages.fire({ type: 'saveLog', req: 'nine', runId: 'abc' });
    const [wrongId, unknownFlow, noNumber] = refusals();
    assert.equal(refusals().length, 3, JSON.stringify(posted));
    assert.equal(wrongId!.req, 7);
    assert.match(wrongId!.message, /saveLog\.runId .* is not a run id/);
    assert.equal(unknownFlow!.req, 8);
    assert.match(unknownFlow!.message, /runFlow\.flowId must be one of/);
    assert.ok(unknownFlow!.message.length < 400, 'the refusal does not quote the long value back');
    assert.equal(noNumber!.req, undefined, 'a request number that is not one is not echoed');
    assert.match(noNumber!.message, /saveLog\.req must be a request number/);
    assert.equal(notes.length, 3, 'each refusal is also noted in the output');
  } finally {
    dashboard.dispose();
    await store.close();
  }
});
