/** A run's details panel, host side, driven in plain Node through a stub of the `vscode` API and of its webview panel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { RunStore } from '../../src/engine/runStore';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../support/engine';
import { EventEmitter, useVscodeStub } from '../support/vscodeStub';
import { panelStub } from '../support/webviewPanelStub';

useVscodeStub();

function fakeHost(store: () => Promise<RunStore>, health?: EventEmitter<{ ok: boolean; message?: string }>): unknown {
  const never = () => ({ dispose() {} });
  return { store, isCancelable: () => false, onDidChangeRun: never, onDidChangeStore: never, onDidChangeStoreHealth: health?.event ?? never };
}

/** Waits (at most 10 s) until `done` holds. */
async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(done(), `${what} within 10 s`);
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

test('a panel restored after a window reload while the store is out of reach says so, and shows the run once the store is back', async () => {
  const { RunDetailsPanels } = await import('../../src/extension/runDetails/runDetailsPanels');
  const store = await EmbeddedStore.open(tempDir());
  const run = await store.createRun({ flowName: 'hello', source: '/ws/hello.flow.ts', parameters: {} });
  await run.close();
  const health = new EventEmitter<{ ok: boolean; message?: string }>();
  let reachable = false;
  let reads = 0;
  const host = fakeHost(async () => {
    reads++;
    if (!reachable) throw new Error('Could not open the Postgres run store set in "flowdeck.store": connect ECONNREFUSED 127.0.0.1:55604. Check the setting, the network and the database.');
    return store;
  }, health);
  const panels = new RunDetailsPanels({ extensionUri: { path: '/ext' }, host, output: { note() {} }, flowIndex: {}, runLogs: {} } as never);
  const { panel, messages, posted } = panelStub();
  (panel as { title: string }).title = `Run ${run.name}`;
  try {
    await panels.restore(panel as never, { version: 1, runId: run.id });
    assert.match((panel as { webview: { html: string } }).webview.html, /runDetails\.js/, 'the panel is kept, its page loaded');
    messages.fire({ type: 'ready' });
    const notices = () => posted.filter((m) => (m as { type: string }).type === 'notice') as { level: string; message: string }[];
    await until(() => notices().length > 0, 'an error notice');
    const [notice] = notices();
    assert.equal(notice!.level, 'error');
    assert.match(notice!.message, /cannot be read.*ECONNREFUSED.*reads it again by itself once the store can be reached/);
    assert.equal((panel as { title: string }).title, `Run ${run.name}`);
    assert.ok(!posted.some((m) => (m as { type: string }).type === 'header'));

    // Still out of reach: nothing read again until the store is said to be back.
    const before = reads;
    health.fire({ ok: false, message: 'connect ECONNREFUSED' });
    assert.equal(reads, before);
    reachable = true;
    health.fire({ ok: true });
    await until(() => posted.some((m) => (m as { type: string }).type === 'header'), 'the run shown');
    const header = posted.find((m) => (m as { type: string }).type === 'header') as { header: { id: string } };
    assert.equal(header.header.id, run.id);
  } finally {
    panels.dispose();
    await store.close();
  }
});

test('a panel whose page says ready again while the run is still being opened shows each log line once, and a panel closed meanwhile follows nothing', async () => {
  const { RunDetailsPanel } = await import('../../src/extension/runDetails/runDetailsPanel');
  const { state } = await import('../../src/engine/states');
  const store = await EmbeddedStore.open(tempDir());
  const run = await store.createRun({ flowName: 'hello', source: '/ws/hello.flow.ts', parameters: {} });
  await run.setState(state('Running'));
  await run.append(['one', 'two', 'three'].map((message, i) => ({ k: 'log' as const, runId: run.id, ts: 1000 + i, level: 'INFO' as const, source: 's', message })));
  // The store answers the panel's list of subflow runs only when the test says (a shared store's round trip).
  let release!: () => void;
  let gate = new Promise<void>((resolve) => (release = resolve));
  let lists = 0;
  const slow = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (key !== 'list' || typeof value !== 'function') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      return async (...args: unknown[]) => {
        lists++;
        await gate;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const { panel, messages, posted } = panelStub();
  const details = new RunDetailsPanel(panel as never, run.id, run.name, { extensionUri: { path: '/ext' }, host: fakeHost(async () => slow as RunStore), output: { note() {} }, flowIndex: {}, runLogs: {}, openRun: async () => false } as never, () => {});
  try {
    // Hidden and shown again (its page starts anew and says ready) before the first opening got its answer.
    messages.fire({ type: 'ready' });
    await until(() => lists === 1, 'the first opening to ask for the subflow runs');
    messages.fire({ type: 'ready' });
    await until(() => lists === 2, 'the second opening to ask for the subflow runs');
    release();
    await until(() => posted.some((m) => (m as { type: string }).type === 'header'), 'the run shown');
    await run.append([{ k: 'log', runId: run.id, ts: 2000, level: 'INFO', source: 's', message: 'four' }]);
    const shown = (): string[] => {
      let lines: string[] = [];
      for (const m of posted as { type: string; reset?: boolean; lines?: { message: string }[] }[]) {
        if (m.type !== 'logs') continue;
        if (m.reset) lines = [];
        lines.push(...m.lines!.map((l) => l.message));
      }
      return lines;
    };
    await until(() => shown().includes('four'), 'the line written after');
    assert.deepEqual(shown(), ['one', 'two', 'three', 'four']);
  } finally {
    details.dispose();
  }

  // Closed while it was being opened: once the store answers, nothing is followed for it.
  gate = new Promise<void>((resolve) => (release = resolve));
  lists = 0;
  const closed = panelStub();
  const gone = new RunDetailsPanel(closed.panel as never, run.id, run.name, { extensionUri: { path: '/ext' }, host: fakeHost(async () => slow as RunStore), output: { note() {} }, flowIndex: {}, runLogs: {}, openRun: async () => false } as never, () => {});
  closed.messages.fire({ type: 'ready' });
  await until(() => lists === 1, 'the opening to ask for the subflow runs');
  gone.dispose();
  release();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal((gone as unknown as { follower?: unknown }).follower, undefined, 'no journal follower is left to a closed panel');
  await run.close();
  await store.close();
});

test("a log of long lines is saved as .log whole, and refused for the clipboard saying what to do, not failing with 'Invalid string length'", async () => {
  // 600 lines of a megabyte (FLOWDECK_MAX_LOG_LINE_KB's default) were joined into one string, longer than a
  // string may be: Copy and Save as .log both answered 'Invalid string length'. Here 40 lines of a megabyte.
  const { RunDetailsPanel } = await import('../../src/extension/runDetails/runDetailsPanel');
  const { state } = await import('../../src/engine/states');
  const { answerSaveDialogs, clipboardTexts } = await import('../support/vscodeStub');
  const store = await EmbeddedStore.open(tempDir());
  const run = await store.createRun({ flowName: 'verbose', source: '/ws/verbose.flow.ts', parameters: {} });
  const long = 'x'.repeat(1024 * 1024);
  for (let at = 0; at < 40; at += 4) {
    await run.append(Array.from({ length: 4 }, (_, i) => ({ k: 'log' as const, runId: run.id, ts: Date.UTC(2026, 0, 1) + at + i, level: 'INFO' as const, source: 's', message: `${at + i} ${long}` })));
  }
  await run.setState(state('Completed', undefined, Date.UTC(2026, 0, 1, 1)), { endTime: Date.UTC(2026, 0, 1, 1) });
  await run.close();
  const target = join(tempDir(), 'verbose.log');
  answerSaveDialogs(target);
  const { panel, messages, posted } = panelStub();
  const details = new RunDetailsPanel(panel as never, run.id, run.name, { extensionUri: { path: '/ext' }, host: fakeHost(async () => store), output: { note() {} }, flowIndex: {}, runLogs: {}, openRun: async () => false } as never, () => {});
  const reply = async (req: number) => {
    await until(() => posted.some((m) => (m as { type: string; req?: number }).type === 'reply' && (m as { req?: number }).req === req), `the reply to ${req}`);
    return posted.find((m) => (m as { type: string; req?: number }).type === 'reply' && (m as { req?: number }).req === req) as { ok: boolean; message: string };
  };
  try {
    messages.fire({ type: 'ready' });
    const copied = clipboardTexts.length;
    messages.fire({ type: 'exportLogs', req: 1, to: 'clipboard', filter: { minLevel: 'DEBUG' } });
    const refused = await reply(1);
    assert.equal(refused.ok, false);
    assert.match(refused.message, /^40 lines \(40 MB\) are too much for the clipboard; use Save as \.log\.$/);
    assert.equal(clipboardTexts.length, copied, 'nothing put on the clipboard');

    messages.fire({ type: 'exportLogs', req: 2, to: 'file', filter: { minLevel: 'DEBUG' } });
    const saved = await reply(2);
    assert.equal(saved.ok, true, saved.message);
    assert.equal(saved.message, `Saved 40 lines to ${target}.`);
    const lines = (await readFile(target, 'utf8')).split('\n');
    assert.equal(lines.length, 41, 'forty lines, each ended');
    assert.equal(lines.at(-1), '');
    assert.deepEqual(lines.slice(0, 40).map((l) => /\| s - (\d+) x+$/.exec(l)?.[1]), Array.from({ length: 40 }, (_, i) => `${i}`));
  } finally {
    answerSaveDialogs(undefined);
    details.dispose();
    await store.close();
  }
});
