/**
 * Flowdeck-specific helpers for the e2e tests (on top of the generic harness in codeServer.ts): the
 * fixture workspace, the Flows and Runs views, run states as the Runs view shows them, the output
 * channel's lines of one run, canvas pixels inside the dashboard webview, and metrics.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { CONFIG_FILE, TYPES_FILE, flowsConfigSource } from '../../../src/extension/scaffold/helloFlow';
import { clickInlineAction, openViewContainer, pickAfterCommand, runCommand, screenshot, type CodeServer } from './codeServer';

export const FIXTURE_WORKSPACE = path.join(__dirname, '..', 'fixtures', 'workspace');

/** Where the tests find the packaged extension: FLOWDECK_VSIX (run.sh sets it) or the repo's flowdeck-<version>.vsix. */
export function flowdeckVsix(): string {
  if (process.env.FLOWDECK_VSIX) return process.env.FLOWDECK_VSIX;
  const root = path.join(__dirname, '..', '..', '..');
  const version = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
  const vsix = path.join(root, `flowdeck-${version}.vsix`);
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist: run \`npm run package\` or use bash test/e2e/run.sh`);
  return vsix;
}

/**
 * A temp dir holding a copy of the fixture workspace (`ws/`) and an empty store folder (`home/`). The
 * workspace gets the flowdeck.d.ts built with the extension (`npm run package` builds dist/) and the
 * tsconfig.json mapping 'flowdeck' to it, as "Create a Flow" writes them, so the flows type-check in the editor.
 */
export function makeScenarioDirs(prefix: string): { root: string; workspace: string; home: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `flowdeck-e2e-${prefix}-`));
  const workspace = path.join(root, 'ws');
  const home = path.join(root, 'home');
  fs.cpSync(FIXTURE_WORKSPACE, workspace, { recursive: true });
  fs.copyFileSync(path.join(__dirname, '..', '..', '..', 'dist', TYPES_FILE), path.join(workspace, TYPES_FILE));
  fs.writeFileSync(path.join(workspace, CONFIG_FILE), flowsConfigSource());
  fs.mkdirSync(home);
  return { root, workspace, home };
}

/** Prints a measured figure as `[e2e-metric] name=value` (the node test runner shows it as a `# ...` line). */
export function metric(name: string, value: number | string): void {
  console.log(`[e2e-metric] ${name}=${value}`);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A pane (view) of the side bar by its title, e.g. 'Flows' or 'Runs'. */
export function sidebarPane(page: Page, title: string): Locator {
  return page
    .locator('.part.sidebar .pane')
    .filter({ has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^\\s*${escapeRe(title)}\\s*$`, 'i') }) })
    .first();
}

/** The tree row whose label is exactly `label` in a side-bar pane. */
export function rowByLabel(page: Page, pane: string, label: string): Locator {
  return sidebarPane(page, pane)
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) })
    .first();
}

export const flowRow = (page: Page, flowName: string) => rowByLabel(page, 'Flows', flowName);
export const runRow = (page: Page, runName: string) => rowByLabel(page, 'Runs', runName);

/**
 * Clicks a run's row once and waits for its details tab. A row's command reads the view's selection
 * (openRunsRow.ts): it used to carry the run's id, which VS Code hands over by a token it drops when it
 * redraws the row, so a click just after a run ended (its row is redrawn as its summary settles) could run
 * nothing ("Actual command not found") and needed a second click. One click must do now.
 */
export async function openRunByClick(page: Page, runName: string, timeoutMs = 15_000): Promise<void> {
  await runRow(page, runName).locator('.label-name').click();
  await page.locator('.tab', { hasText: `Run ${runName}` }).first().waitFor({ state: 'visible', timeout: timeoutMs });
}

/**
 * Expands or folds a tree row by its twistie, and waits until the row says so (`aria-expanded`). A running
 * run's row is redrawn as its duration ticks: a click that lands as it is redrawn can be lost, so the twistie
 * is clicked again while the row has not turned (at most 3 clicks, each given a few seconds to show).
 */
export async function setExpanded(row: Locator, expanded: boolean, timeoutMs = 15_000): Promise<void> {
  const want = String(expanded);
  const deadline = Date.now() + timeoutMs;
  for (let clicks = 0; ; ) {
    if ((await row.getAttribute('aria-expanded', { timeout: Math.max(1, deadline - Date.now()) })) === want) return;
    if (clicks === 3 || Date.now() >= deadline) throw new Error(`the row did not ${expanded ? 'expand' : 'fold'} after ${clicks} clicks on its twistie`);
    await row.locator('.monaco-tl-twistie').click();
    clicks++;
    for (const turned = Date.now() + 4_000; Date.now() < Math.min(turned, deadline); await new Promise((r) => setTimeout(r, 100))) {
      if ((await row.getAttribute('aria-expanded').catch(() => null)) === want) return;
    }
  }
}

/** Label and description of every rendered row of the Runs view. */
export function runRows(page: Page): Promise<{ label: string; description: string }[]> {
  return paneRows(page, 'Runs');
}

/** Label and description of every rendered row of a side-bar pane. */
export async function paneRows(page: Page, pane: string): Promise<{ label: string; description: string }[]> {
  return sidebarPane(page, pane)
    .locator('.monaco-list-row')
    .evaluateAll((els: any[]) =>
      els.map((e) => ({
        label: (e.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (e.querySelector('.label-description')?.textContent ?? '').trim(),
      })),
    );
}

export interface StartedRun {
  runName: string;
  /** Date.now() just before the click. */
  clickedAt: number;
}

/**
 * Opens the Flowdeck side bar if needed, clicks the inline "Run Flow" of a flow in the Flows view and returns the name of the run that appears
 * at the top of the Runs view (run names are unique within a store, so a name not seen before is ours).
 */
export async function runFlowFromTree(page: Page, flowName: string, timeoutMs = 30_000): Promise<StartedRun> {
  await openViewContainer(page, 'Flowdeck'); // no-op when the Flowdeck side bar is showing
  const row = flowRow(page, flowName);
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  const before = new Set((await runRows(page)).map((r) => r.label));
  const clickedAt = Date.now();
  await clickInlineAction(row, 'Run Flow');
  const deadline = Date.now() + timeoutMs;
  // A click that lands as VS Code redraws the whole Flows view reaches the command without its row (VS Code
  // drops the rows' handles then), and the command asks which flow: the view redraws only what changed, and
  // all of it only when files come, go or stop parsing (flowsViewChanges.ts), so the picker opening here is a
  // fault, said as such.
  const picker = page.locator('.quick-input-widget', { hasText: 'Choose a flow' });
  const runName = await waitForNewRun(page, before, deadline, `Run Flow on '${flowName}'`, async () => {
    if (await picker.isVisible()) throw new Error(`Run Flow on '${flowName}' opened the flow picker: the click reached the command without its row (did the Flows view redraw as it was clicked?)`);
  });
  return { runName, clickedAt };
}

/**
 * The name of the first run the Runs view shows that `before` (its labels earlier) does not have, waited for
 * until `deadline` (epoch ms); `check` runs between looks and may throw to stop early.
 */
export async function waitForNewRun(page: Page, before: ReadonlySet<string>, deadline: number, after: string, check?: () => Promise<void>): Promise<string> {
  for (;;) {
    // A run row's description starts with its state (grouped) or its flow (flat); a flow's row with a count.
    const fresh = (await runRows(page)).find((r) => r.label !== '' && !before.has(r.label) && !/^Load more/.test(r.label) && !/^\d[\d,]* runs? ·/.test(r.description));
    if (fresh) return fresh.label;
    await check?.();
    if (Date.now() > deadline) throw new Error(`no new run appeared in the Runs view by the deadline after ${after}`);
    await page.waitForTimeout(50);
  }
}

/**
 * Waits until the Runs view shows run `runName` in state `state` (its description starts with the state
 * name: "Completed · 1.2 s · just now"). Returns the description and when it was first seen. A run that
 * reaches a different terminal state fails at once, naming it.
 */
export async function waitForRunState(
  page: Page,
  runName: string,
  state: string,
  timeoutMs = 60_000,
): Promise<{ description: string; seenAt: number }> {
  const terminal = ['Completed', 'Failed', 'Cancelled', 'Crashed', 'TimedOut', 'Cached'];
  const deadline = Date.now() + timeoutMs;
  let last = '(row not rendered)';
  for (;;) {
    const row = (await runRows(page)).find((r) => r.label === runName);
    if (row) {
      last = row.description;
      const current = row.description.split(' · ')[0] ?? '';
      if (current === state) return { description: row.description, seenAt: Date.now() };
      if (terminal.includes(current) && current !== state) {
        throw new Error(`run '${runName}' ended ${current} ("${row.description}"), expected ${state}`);
      }
    }
    if (Date.now() > deadline) throw new Error(`run '${runName}' never showed ${state} in the Runs view within ${timeoutMs} ms; last description: ${last}`);
    await page.waitForTimeout(50);
  }
}

/** The lines of the output text that belong to run `runName` (its engine line, flow-run and task-run lines). */
export function linesOfRun(output: string, runName: string, flowName: string): string[] {
  const lines = output.split(/\r?\n/);
  const created = lines.findIndex((l) => l.includes(`Created flow run '${runName}' for flow '${flowName}'`));
  if (created < 0) return [];
  const finished = lines.findIndex((l, i) => i > created && l.includes(`Flow run '${runName}' - Finished in state `));
  return lines.slice(created, finished < 0 ? undefined : finished + 1);
}

/** Prefect's line format: `HH:MM:SS.mmm | LEVEL   | source - message`. */
export const PREFECT_LINE = /^\d{2}:\d{2}:\d{2}\.\d{3} \| (DEBUG|INFO|WARNING|ERROR|CRITICAL) *\| .+ - .*$/;

/** Polls the output channel's log file on the server (no UI) until it matches. */
export async function waitForOutputLog(server: CodeServer, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = server.readOutputChannelFromLogs('Flowdeck') ?? '';
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`the Flowdeck output channel never matched ${pattern}; it holds:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface CanvasInk {
  width: number;
  height: number;
  /** Pixels that differ from the canvas's most common colour (its background) by more than a little. */
  inked: number;
  /** Distinct colours among the sampled pixels. */
  colours: number;
}

/**
 * Reads every canvas in the webview (or page) with getImageData and counts pixels that differ from its
 * dominant colour (the background, transparent for chart.js): a drawn chart has axes, grid, labels and a line.
 */
export async function canvasInk(frame: FrameLocator | Page, selector = 'canvas'): Promise<CanvasInk[]> {
  return frame.locator(selector).evaluateAll((canvases: any[]) =>
    canvases.map((c) => {
      const width = c.width as number;
      const height = c.height as number;
      if (width === 0 || height === 0) return { width, height, inked: 0, colours: 0 };
      const data = c.getContext('2d').getImageData(0, 0, width, height).data as Uint8ClampedArray;
      const counts = new Map<number, number>();
      for (let i = 0; i < data.length; i += 4) {
        const key = ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      let bg = 0;
      let best = -1;
      for (const [k, n] of counts) if (n > best) [bg, best] = [k, n];
      const br = bg >>> 24, bgG = (bg >>> 16) & 255, bb = (bg >>> 8) & 255, ba = bg & 255;
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) {
        const d = Math.abs(data[i]! - br) + Math.abs(data[i + 1]! - bgG) + Math.abs(data[i + 2]! - bb) + Math.abs(data[i + 3]! - ba);
        if (d > 24) inked++;
      }
      return { width, height, inked, colours: counts.size };
    }),
  );
}

/** Runs `body`; on failure saves a screenshot and prints the output channel and code-server's log tail. */
export async function withDiagnostics<T>(page: Page, server: CodeServer, name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const shot = await screenshot(page, `${name}-failure`).catch(() => undefined);
    console.log(`--- ${name} failed; screenshot: ${shot ?? '(none)'}`);
    console.log(`--- Flowdeck output channel (from the server's log files):\n${server.readOutputChannelFromLogs('Flowdeck') ?? '(none)'}`);
    const exthost = extensionHostLog(server);
    if (exthost) console.log(`--- extension host log (tail):\n${exthost.slice(-6000)}`);
    throw err;
  }
}

/** The newest exthost.log under the server's user-data logs, if any. */
export function extensionHostLog(server: CodeServer): string | undefined {
  const logs = path.join(server.userDataDir, 'logs');
  let best: { file: string; mtime: number } | undefined;
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'exthost.log') {
        const mtime = fs.statSync(p).mtimeMs;
        if (!best || mtime > best.mtime) best = { file: p, mtime };
      }
    }
  };
  walk(logs);
  return best ? fs.readFileSync(best.file, 'utf8') : undefined;
}

/** Reads "12,345", "1,234", "98.8K", "1.2M" as a number (for values the dashboard shows). */
export function parseShownNumber(text: string): number {
  const m = /(-?[\d.,]+)\s*([KMB])?/.exec(text.replace(/\u2212/g, '-'));
  if (!m) return NaN;
  const n = Number(m[1]!.replace(/,/g, ''));
  const scale = m[2] === 'K' ? 1e3 : m[2] === 'M' ? 1e6 : m[2] === 'B' ? 1e9 : 1;
  return n * scale;
}

/** Drags the side bar's sash so the side bar is `width` px wide (descriptions in the views stop being cut). */
export async function widenSidebar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box || Math.abs(box.width - width) < 4) return;
  const x = box.x + box.width;
  const y = box.y + box.height / 2;
  await page.mouse.move(x - 1, y);
  await page.mouse.down();
  await page.mouse.move(x + (width - box.width) / 2, y, { steps: 4 });
  await page.mouse.move(box.x + width, y, { steps: 4 });
  await page.mouse.up();
}

/** Dismisses every notification toast (so screenshots show the workbench, not toasts). */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => undefined);
}

/** Hides the bottom panel if it is showing ("View: Hide Panel" is not offered while it is hidden). */
export async function hidePanel(page: Page): Promise<void> {
  if (await page.locator('.part.panel').isVisible()) await runCommand(page, 'View: Hide Panel');
}


/**
 * "Flowdeck: Open Run" from the palette, picking the run by name, and waits for its details tab. The pick is
 * opened again when it closes before its row is clicked (pickAfterCommand: a webview opened just before took
 * the focus).
 */
export async function openRunFromPalette(page: Page, runName: string, timeoutMs = 30_000): Promise<void> {
  await pickAfterCommand(page, 'Flowdeck: Open Run', runName, { row: (rows) => rows.filter({ hasText: runName }), timeoutMs });
  await page.locator('.tab', { hasText: `Run ${runName}` }).first().waitFor({ state: 'visible', timeout: timeoutMs });
}
