/** The dashboard panel, host side, driven in plain Node through a stub of the `vscode` API and of its webview panel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { state } from '../../src/engine/states';
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

test("a run's log of many lines reaches the dashboard in messages of at most 5,000 lines, in order, not in one message", async () => {
  // One message of 1,000,000 lines was 149 MB, turned into text in one go on the extension host's thread
  // (2.3 s), with every line held there as it was read (622 MB).
  const { DashboardPanel } = await import('../../src/extension/dashboard/panel');
  const store = await EmbeddedStore.open(tempDir());
  const h = await store.createRun({ flowName: 'noisy', source: '/ws/noisy.flow.ts', parameters: {} });
  const lines = 12_345;
  for (let at = 0; at < lines; at += 2000) {
    await h.append(Array.from({ length: Math.min(2000, lines - at) }, (_, i) => ({ k: 'log' as const, runId: h.id, ts: 1000 + at + i, level: 'INFO' as const, source: 's', message: `line ${at + i}` })));
  }
  await h.setState(state('Completed', undefined, 20_000), { endTime: 20_000 });
  await h.close();
  const { panel, messages, posted } = panelStub();
  const never = () => ({ dispose() {} });
  const host = { store: async () => store, onDidChangeRun: never, onDidChangeStore: never, onDidLog: never };
  const dashboard = new DashboardPanel(panel as never, {}, { extensionUri: { path: '/ext' }, host, launcher: {}, output: { note() {} } } as never, () => {});
  try {
    messages.fire({ type: 'ready' });
    type Logs = { type: 'logs'; runId: string; lines: { message: string }[]; reset?: boolean };
    const logs = () => posted.filter((m): m is Logs => (m as { type: string }).type === 'logs');
    const received = () => logs().reduce((n, m) => n + m.lines.length, 0);
    for (let i = 0; i < 200 && received() < lines; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(received(), lines, 'every line arrives');
    assert.ok(logs().every((m) => m.runId === h.id));
    assert.deepEqual(logs().map((m) => m.reset === true), logs().map((_, i) => i === 0), 'the first message replaces what the webview shows, the others add to it');
    assert.ok(logs().every((m) => m.lines.length <= 5000), `messages of ${logs().map((m) => m.lines.length).join(', ')} lines`);
    assert.deepEqual(logs().flatMap((m) => m.lines.map((l) => l.message)), Array.from({ length: lines }, (_, i) => `line ${i}`));
  } finally {
    dashboard.dispose();
    await store.close();
  }
});

test("a run's log of long lines reaches the dashboard in messages of a few megabytes, not one too long to be sent", async () => {
  // 600 lines of a megabyte (FLOWDECK_MAX_LOG_LINE_KB's default) made one message of 600 MB, which cannot be
  // turned into text (RangeError: Invalid string length): the panel never showed them. Here 24 lines of a megabyte.
  const { DashboardPanel } = await import('../../src/extension/dashboard/panel');
  const store = await EmbeddedStore.open(tempDir());
  const h = await store.createRun({ flowName: 'verbose', source: '/ws/verbose.flow.ts', parameters: {} });
  const long = 'x'.repeat(1024 * 1024 - 100);
  for (let at = 0; at < 24; at += 4) {
    await h.append(Array.from({ length: 4 }, (_, i) => ({ k: 'log' as const, runId: h.id, ts: 1000 + at + i, level: 'INFO' as const, source: 's', message: `${at + i} ${long}` })));
  }
  await h.setState(state('Completed', undefined, 20_000), { endTime: 20_000 });
  await h.close();
  const { panel, messages } = panelStub();
  const sizes: number[] = [];
  const received: string[] = [];
  // As VS Code does, each message is made into text to be sent.
  (panel as { webview: { postMessage(m: unknown): Promise<boolean> } }).webview.postMessage = async (m) => {
    const text = JSON.stringify(m);
    const message = m as { type: string; lines?: { message: string }[] };
    if (message.type === 'logs') {
      sizes.push(text.length);
      received.push(...message.lines!.map((l) => l.message.slice(0, l.message.indexOf(' '))));
    }
    return true;
  };
  const never = () => ({ dispose() {} });
  const host = { store: async () => store, onDidChangeRun: never, onDidChangeStore: never, onDidLog: never };
  const dashboard = new DashboardPanel(panel as never, {}, { extensionUri: { path: '/ext' }, host, launcher: {}, output: { note() {} } } as never, () => {});
  try {
    messages.fire({ type: 'ready' });
    for (let i = 0; i < 200 && received.length < 24; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(received, Array.from({ length: 24 }, (_, i) => `${i}`));
    assert.ok(sizes.every((n) => n <= 8 * 1024 * 1024), `messages of ${sizes.map((n) => `${(n / 1024 / 1024).toFixed(1)} MB`).join(', ')}`);
  } finally {
    dashboard.dispose();
    await store.close();
  }
});
