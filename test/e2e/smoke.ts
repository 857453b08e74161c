/**
 * Proves the e2e harness end to end with a throwaway extension generated into a temp dir:
 * package it with vsce, install it into code-server, and drive the workbench with playwright.
 *
 *   bash test/e2e/setup.sh && node --import tsx --test test/e2e/smoke.ts
 *
 * Timings are printed as `timing ...` lines.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  clickInlineAction,
  launchBrowser,
  newPage,
  openViewContainer,
  openWorkbench,
  pickAfterCommand,
  readOutputChannel,
  runCommand,
  screenshot,
  startCodeServer,
  treeRow,
  webviewFrame,
  findWebviewFrame,
  waitForOutputChannel,
  type CodeServer,
} from './lib/codeServer';
import { buildSmokeVsix } from './lib/smokeExtension';

const timing = (what: string, ms: number) => console.log(`timing ${what}: ${ms} ms`);

let tmp: string;
let vsix: string;
let browser: Browser;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowdeck-e2e-smoke-'));
  const t0 = Date.now();
  vsix = buildSmokeVsix(path.join(tmp, 'ext'));
  timing('vsce package', Date.now() - t0);
  const t1 = Date.now();
  browser = await launchBrowser();
  timing('chromium launch', Date.now() - t1);
});

after(async () => {
  await browser?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * The first time a command's own quick pick shows (its input empty, not the palette's '>…'), the focus leaves
 * it, as when a webview that has just opened takes it: the pick hides. `__e2eBlurred` says it happened.
 */
async function blurQuickPickOnce(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = globalThis as any;
    w.__e2eBlurred = false;
    const observer = new w.MutationObserver(() => {
      const widget = w.document.querySelector('.quick-input-widget');
      const input = widget?.querySelector('input');
      if (widget && widget.style.display !== 'none' && input && input.value === '' && widget.querySelector('.monaco-list-row')) {
        w.__e2eBlurred = true;
        observer.disconnect();
        input.blur();
      }
    });
    observer.observe(w.document.body, { subtree: true, childList: true, attributes: true });
  });
}

function makeWorkspace(name: string): string {
  const ws = path.join(tmp, name);
  fs.mkdirSync(ws, { recursive: true });
  fs.writeFileSync(path.join(ws, 'hello.txt'), 'hello from the smoke workspace\n');
  return ws;
}

async function withServer(
  name: string,
  opts: { trusted?: boolean },
  body: (server: CodeServer, page: Page) => Promise<void>,
): Promise<void> {
  const t0 = Date.now();
  const server = await startCodeServer({
    workspace: makeWorkspace(name),
    vsixPath: vsix,
    env: { FLOWDECK_SMOKE_ENV: 'from-harness' },
    trusted: opts.trusted,
  });
  timing(`${name}: install-extension + code-server up`, Date.now() - t0);
  timing(`${name}: code-server spawn -> HTTP port answers`, server.startupMs);
  const page = await newPage(browser);
  try {
    const ready = await openWorkbench(page, server.url);
    timing(`${name}: goto -> workbench ready`, ready);
    timing(`${name}: code-server spawn -> workbench ready`, Date.now() - t0);
    await body(server, page);
  } catch (err) {
    await screenshot(page, `${name}-failure`).catch(() => undefined);
    console.log(`code-server log (${server.logPath}):\n${server.log()}`);
    throw err;
  } finally {
    await page.context().close();
    await server.stop();
    assert.equal(fs.existsSync(server.tempDir), false, 'stop() removes the temp dirs');
  }
}

test('smoke: trusted workspace — view container, tree, inline action, command, output, webview', async () => {
  await withServer('trusted', {}, async (server, page) => {
    assert.deepEqual(server.listExtensions(), ['flowdeck-e2e.flowdeck-e2e-smoke@0.0.1']);

    const t0 = Date.now();
    await openViewContainer(page, 'Smoke');
    const row = treeRow(page, 'Beta item');
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    timing('trusted: activity bar click -> tree row visible', Date.now() - t0);
    await clickInlineAction(row, 'Item Action');

    await runCommand(page, 'Smoke: Say Hello');
    await waitForOutputChannel(page, 'Smoke Output', 'HELLO-DONE');
    const t1 = Date.now();
    const text = await readOutputChannel(page, 'Smoke Output', { mode: 'clipboard' });
    timing('trusted: readOutputChannel (clipboard)', Date.now() - t1);
    const lines = text.split(/\r?\n/);
    assert.match(text, /activated trusted=true env=from-harness/);
    assert.match(text, /inline action on Beta item/);
    for (let i = 0; i < 400; i++) assert.ok(lines.includes(`line ${i} of the smoke output`), `line ${i} missing`);
    assert.match(text, /HELLO-DONE trusted=true/);

    const t2 = Date.now();
    const scrolled = await readOutputChannel(page, 'Smoke Output', { mode: 'scroll' });
    timing('trusted: readOutputChannel (scroll)', Date.now() - t2);
    assert.equal(scrolled.trimEnd(), text.trimEnd(), 'scroll fallback reads the same text');

    const fromLogs = server.readOutputChannelFromLogs('Smoke Output');
    assert.ok(fromLogs?.includes('HELLO-DONE trusted=true'), 'output channel log file on the server');

    await screenshot(page, 'smoke-trusted-output');

    await runCommand(page, 'Smoke: Open Panel');
    const frame = webviewFrame(page);
    await frame.locator('#hello').waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await frame.locator('#hello').textContent(), 'Hello from the smoke webview');
    const found = await findWebviewFrame(page, '#ping');
    await found.locator('#ping').click();
    const deadline = Date.now() + 10_000;
    while (!server.readOutputChannelFromLogs('Smoke Output')?.includes('webview says ping') && Date.now() < deadline) {
      await page.waitForTimeout(200);
    }
    assert.match(server.readOutputChannelFromLogs('Smoke Output') ?? '', /webview says ping/);
    await screenshot(page, 'smoke-trusted-webview');

    // A command's pick that loses the focus as it shows (CI: a webview that had just opened took it, the
    // palette's input went inert, then hidden) is opened again by pickAfterCommand and picked in.
    await blurQuickPickOnce(page);
    await pickAfterCommand(page, 'Output: Show Output Channels...', 'Smoke Output');
    assert.equal(await page.evaluate(() => (globalThis as any).__e2eBlurred), true, 'the pick lost the focus once');
    await page.locator('.part.panel .output-view .monaco-editor').first().waitFor({ state: 'visible', timeout: 15_000 });
  });
});

test('smoke: untrusted workspace — Restricted Mode, extension still runs (supports untrusted)', async () => {
  await withServer('untrusted', { trusted: false }, async (_server, page) => {
    await openViewContainer(page, 'Smoke');
    await treeRow(page, 'Alpha item').waitFor({ state: 'visible', timeout: 30_000 });
    await runCommand(page, 'Smoke: Say Hello');
    const text = await waitForOutputChannel(page, 'Smoke Output', 'HELLO-DONE');
    assert.match(text, /activated trusted=false env=from-harness/);
    assert.match(text, /HELLO-DONE trusted=false/);
    await assert.doesNotReject(
      page.locator('.part.statusbar').getByText('Restricted Mode').first().waitFor({ state: 'visible', timeout: 10_000 }),
    );
    await screenshot(page, 'smoke-untrusted');
  });
});
