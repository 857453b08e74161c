/**
 * Monitoring in a real VS Code (code-server 4.100.3): the Runs view grouped by flow and listed flat, a
 * run's details panel (timeline bars and task names drawn on its canvas, a click on a bar filtering the
 * logs), a failing workspace flow's Problems entry on the right line with Go to Failure, subflow runs (the bars
 * of a run with no task run, a subflow run's failure linked from its parent's card), Show Logs as a
 * `flowdeck-run:` document, the timeline recoloured by a theme switch, and a stored run of 20,000 task
 * runs drawn (its layout and draw times printed as `[e2e-metric]` lines, not asserted).
 *
 *   bash test/e2e/run.sh test/e2e/monitoring.e2e.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { RunRecord } from '../../src/engine/records';
import { state } from '../../src/engine/states';
import { startFakeGitHub, type FakeGitHub } from '../support/fakeGitHub';
import { clickInlineAction, findWebviewFrame, notifications, pickAfterCommand, readEditorText, reloadWindow, REPO_ROOT, runCommand, screenshot, type CodeServer } from './lib/codeServer';
import {
  canvasInk,
  clearNotifications,
  hidePanel,
  makeScenarioDirs,
  metric,
  openRunByClick,
  openRunFromPalette,
  runFlowFromTree,
  runRow,
  runRows,
  rowByLabel,
  sidebarPane,
  waitForRunState,
  widenSidebar,
  withDiagnostics,
} from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

declare function getComputedStyle(el: unknown, pseudo: string): { content: string };

const BIG_TASKS = 20_000;
const BIG_FLOW = 'big-map';

/** A finished run of 20,000 task runs (eight at a time, a few failed), written straight into the store. */
async function storeBigRun(home: string, workspace: string): Promise<string> {
  const store = await EmbeddedStore.open(home, { durable: false });
  const handle = await store.createRun({ flowName: BIG_FLOW, source: path.join(workspace, 'big-map.flow.ts'), parameters: { items: BIG_TASKS } });
  const base = Date.now() - 30 * 60_000;
  const id = handle.id;
  let batch: RunRecord[] = [{ k: 'state', runId: id, name: 'Running', ts: base, attempt: 1 }];
  let end = base;
  for (let i = 0; i < BIG_TASKS; i++) {
    const start = base + 5 + Math.floor(i / 8) * 40 + (i % 8);
    const taskId = `big-${i.toString(36)}`;
    end = start + 30;
    batch.push(
      { k: 'task', runId: id, id: taskId, name: `work-${i}`, taskName: 'work', ts: start },
      { k: 'tstate', runId: id, id: taskId, name: 'Running', ts: start + 1, attempt: 1 },
      { k: 'tstate', runId: id, id: taskId, name: i % 2500 === 7 ? 'Failed' : 'Completed', ts: end },
    );
    if (i % 10 === 0) batch.push({ k: 'log', runId: id, taskRunId: taskId, ts: start + 2, level: 'INFO', source: `Task run 'work-${i}'`, message: `item ${i}` });
    if (batch.length >= 6000) {
      await handle.append(batch);
      batch = [];
    }
  }
  batch.push({ k: 'state', runId: id, name: 'Completed', ts: end + 5 });
  await handle.append(batch);
  await handle.setState(state('Completed', undefined, end + 5), { startTime: base, endTime: end + 5 });
  await handle.close();
  await store.close();
  return handle.name;
}

/** A screenshot for the README: the pointer parked where it shows no hover, the layout settled. */
async function readmeShot(page: Page, name: string): Promise<void> {
  await page.mouse.move(1100, 51);
  await page.waitForTimeout(400);
  await screenshot(page, name);
}

/** Waits until `read` gives a value `ok` accepts (polling, bounded). */
async function until<T>(page: Page, what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read().catch(() => last);
    if (last !== undefined && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await page.waitForTimeout(150);
  }
}

/** The dataset the timeline writes on its canvas (bar count, layout and draw times). */
function timelineData(frame: FrameLocator): Promise<{ bars: number; rows: number; layoutMs: number; drawMs: number; spanMs: number }> {
  return frame
    .locator('.timeline-canvas')
    .evaluate((c: any) => ({ bars: Number(c.dataset.bars ?? -1), rows: Number(c.dataset.rows ?? -1), layoutMs: Number(c.dataset.layoutMs ?? -1), drawMs: Number(c.dataset.drawMs ?? -1), spanMs: Number(c.dataset.spanMs ?? -1) }));
}

/** The colour of one canvas pixel (CSS px from the top left), as [r, g, b, a]. */
function pixel(frame: FrameLocator, x: number, y: number): Promise<number[]> {
  return frame.locator('.timeline-canvas').evaluate(
    (c: any, at: { x: number; y: number }) => {
      const ratio = c.width / c.clientWidth;
      return Array.from(c.getContext('2d').getImageData(Math.round(at.x * ratio), Math.round(at.y * ratio), 1, 1).data) as number[];
    },
    { x, y },
  );
}

describe('Flowdeck in code-server: monitoring', () => {
  let dirs: ReturnType<typeof makeScenarioDirs>;
  let server: CodeServer;
  let page: Page;
  let bigRun: string;
  let cli: ChildProcess | undefined;
  let gh: FakeGitHub;
  const runs: Record<string, string> = {};

  let scenario: Scenario | undefined;

  before(async () => {
    gh = await startFakeGitHub({ repos: [{ fullName: 'PrefectHQ/prefect', stars: 120 }] });
    scenario = await openScenario('monitoring', async (scenarioDirs) => {
      bigRun = await storeBigRun(scenarioDirs.home, scenarioDirs.workspace);
      return { env: { FLOWDECK_GITHUB_API_URL: gh.url }, settings: { 'flowdeck.revealOutput': 'never' } };
    });
    ({ dirs, server, page } = scenario);
  });

  after(async () => {
    cli?.kill('SIGKILL');
    await closeScenario(scenario);
    await gh?.close();
  });

  test('the Runs view groups runs by flow ("1 run · last Completed"); listed flat, each run names its flow first', async () => {
    await withDiagnostics(page, server, 'runs-grouped', async () => {
      const { runName } = await runFlowFromTree(page, 'hello', 60_000);
      runs.hello = runName;
      await widenSidebar(page, 460);
      await waitForRunState(page, runName, 'Completed', 60_000);
      const flows = await until(page, 'flow rows', () => runRows(page), (rows) => rows.some((r) => r.label === 'hello' && /^1 run · last Completed/.test(r.description)));
      assert.ok(flows.some((r) => r.label === BIG_FLOW && /^1 run · last Completed/.test(r.description)), `the stored run's flow has a row: ${JSON.stringify(flows)}`);
      const level = await runRow(page, runName).getAttribute('aria-level');
      assert.equal(level, '2', 'a run sits under its flow');
      const a11y = await runRow(page, runName).getAttribute('aria-label');
      assert.match(a11y ?? '', new RegExp(`^Flow hello, run ${runName}, Completed, took [\\d.]+ \\w+, `), 'a short label that reads flow, run, state, duration, time');
      await screenshot(page, 'runs-grouped');

      await runCommand(page, 'Flowdeck: Show Runs as List');
      // The list is redrawn as a whole: rows of the grouped tree may linger for a frame.
      await until(page, 'flat rows, no flow rows', () => runRows(page), (rows) => rows.some((r) => r.label === runName && r.description.startsWith('hello · Completed · ')) && !rows.some((r) => r.label === 'hello'));
      assert.equal(await runRow(page, runName).getAttribute('aria-level'), '1');
      await runCommand(page, 'Flowdeck: Group Runs by Flow');
      await until(page, 'grouped again', () => runRows(page), (rows) => rows.some((r) => r.label === 'hello' && r.description.startsWith('1 run')));
    });
  });

  test('Enter on a flow row runs the flow', async () => {
    await withDiagnostics(page, server, 'enter-flow', async () => {
      const before = new Set((await runRows(page)).map((r) => r.label));
      const flowRow = rowByLabel(page, 'Runs', 'hello');
      // A click selects the row (and folds it: unfold it again, keeping the selection).
      await flowRow.click({ position: { x: 120, y: 10 } });
      if ((await flowRow.getAttribute('aria-expanded')) === 'false') await flowRow.click({ position: { x: 120, y: 10 } });
      await page.keyboard.press('Enter');
      const rows = await until(page, 'a second hello run', () => runRows(page), (rows) => rows.some((r) => r.label === 'hello' && /^2 runs/.test(r.description)));
      const fresh = rows.find((r) => !before.has(r.label) && /^(Pending|Running|Completed)/.test(r.description));
      assert.ok(fresh, `a new run row: ${JSON.stringify(rows)}`);
      await waitForRunState(page, fresh!.label, 'Completed', 60_000);
    });
  });

  test("a run's details: timeline bars and task names on the canvas; a click on a bar filters the logs", async () => {
    await withDiagnostics(page, server, 'run-details', async () => {
      await hidePanel(page);
      await runCommand(page, 'View: Close All Editors');
      const { runName } = await runFlowFromTree(page, 'pipeline', 60_000);
      runs.pipeline = runName;
      await waitForRunState(page, runName, 'Completed', 90_000);
      await openRunByClick(page, runName);
      const frame = await findWebviewFrame(page, '.timeline-canvas');
      await frame.locator('h1', { hasText: `Run ${runName}` }).waitFor({ state: 'visible', timeout: 15_000 });
      const data = await until(page, 'timeline bars', () => timelineData(frame), (d) => d.bars === 26);
      assert.equal(data.rows, 26, 'a row per task run');
      assert.equal(await frame.locator('.timeline-note').isHidden(), true, 'no note over a row per task run');
      const [ink] = await until(page, 'the bars drawn', () => canvasInk(frame, '.timeline-canvas'), ([i]) => !!i && i.inked > 2000 && i.colours >= 4).catch(() => canvasInk(frame, '.timeline-canvas'));
      assert.ok(ink && ink.inked > 2000 && ink.colours >= 4, `bars drawn: ${JSON.stringify(ink)}`);
      // Task names are drawn in the left column: ink there, row by row.
      const nameInk = await frame.locator('.timeline-canvas').evaluate((c: any) => {
        const ratio = c.width / c.clientWidth;
        const data = c.getContext('2d').getImageData(0, Math.round(24 * ratio), Math.round(160 * ratio), Math.round(200 * ratio)).data as Uint8ClampedArray;
        const bg = [data[0], data[1], data[2]];
        let n = 0;
        for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - bg[0]!) + Math.abs(data[i + 1]! - bg[1]!) + Math.abs(data[i + 2]! - bg[2]!) > 60) n++;
        return n;
      });
      assert.ok(nameInk > 300, `task names in the name column (${nameInk} pixels)`);
      assert.match(await frame.locator('.run-header').innerText(), /Completed/);
      // The result is read after the timeline's records (its section says so until then): read until it shows.
      const result = await until(page, 'the result shown', () => frame.locator('.result').innerText(), (text) => /total/.test(text));
      assert.match(result, /total/);

      // Row 1 is work-0 (prepare-0 started first): a click selects it and the logs show only its lines.
      const box = (await frame.locator('.timeline-canvas').boundingBox())!;
      await page.mouse.click(box.x + 60, box.y + 22 + 20 * 1 + 10);
      const texts = await until(
        page,
        "work-0's lines only",
        () => frame.locator('.logs .log-row:not([hidden]) .log-text').allInnerTexts(),
        (t) => t.length > 0 && t.every((line) => line.startsWith("Task run 'work-0'")),
      );
      assert.ok(texts.some((t) => t.includes('Working on item 0')));
      assert.match(await frame.locator('.logs select[aria-label="Show the lines of"]').inputValue(), /^run:/);
      await readmeShot(page, 'run-details');

      // The upload task's retry: two attempts, in its tooltip-like description for the keyboard.
      await frame.locator('.logs select[aria-label="Show the lines of"]').selectOption({ value: 'task:upload' });
      await until(page, 'upload lines', () => frame.locator('.logs .log-row:not([hidden]) .log-text').allInnerTexts(), (t) => t.some((x) => x.includes('Uploaded a total of')));
    });
  });

  test('a failing workspace flow puts a Problems entry on its line; Go to Failure opens the file there', async () => {
    await withDiagnostics(page, server, 'failure', async () => {
      const { runName } = await runFlowFromTree(page, 'failing', 60_000);
      runs.failing = runName;
      await waitForRunState(page, runName, 'Failed', 60_000);
      await clearNotifications(page);
      await runCommand(page, 'View: Close All Editors');
      await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'the reactor is out of coolant' }).first();
      await problem.waitFor({ state: 'visible', timeout: 30_000 });
      const text = await problem.innerText();
      assert.match(text, /Flowdeck/);
      assert.match(text, /\[Ln 7, Col \d+\]/, `the throw's line: ${text}`);

      await runRow(page, runName).click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-item', { hasText: /^Go to Failure/ }).first();
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      await item.hover();
      await page.keyboard.press('Enter');
      await page.locator('.tab.active', { hasText: 'failing.flow.ts' }).waitFor({ state: 'visible', timeout: 15_000 });
      await until(page, 'the cursor on line 7', () => page.locator('.part.statusbar').innerText(), (t) => /Ln 7, Col \d+/.test(t));
      // The inline note after the line (an ::after decoration: its text is in the CSS, not the DOM).
      const note = await until(
        page,
        'the inline note',
        () =>
          page.locator('.part.editor .view-line span').evaluateAll((spans: any[]) =>
            spans.map((el) => getComputedStyle(el, '::after').content as string).find((c) => c.includes('failed in run')) ?? '',
          ),
        (c) => c.includes(runName),
      );
      assert.match(note, /the reactor is out of coolant/);
      await readmeShot(page, 'failure-at-line');

      // The run's failure card links to the same line.
      await hidePanel(page);
      await runCommand(page, 'View: Close All Editors');
      await openRunByClick(page, runName);
      const frame = await findWebviewFrame(page, '.failure');
      const link = frame.locator('.failure .frame');
      assert.match(await link.innerText(), /^failing\.flow\.ts:7:\d+$/);
      assert.match(await frame.locator('.failure').innerText(), /e2e failure on purpose: the reactor is out of coolant/);
      assert.match(await frame.locator('.failure .section-title').innerText(), /^Failed/);
      await readmeShot(page, 'run-failure-card');
      await link.click();
      await page.locator('.tab.active', { hasText: 'failing.flow.ts' }).waitFor({ state: 'visible', timeout: 15_000 });
      await until(page, 'the cursor on line 7 again', () => page.locator('.part.statusbar').innerText(), (t) => /Ln 7, Col \d+/.test(t));
    });
  });

  test("a run whose flow calls process.exit() ends Crashed, pointing at that line: its card, its Problems entry, its notification's Go to Failure", async () => {
    await withDiagnostics(page, server, 'crash-line', async () => {
      await runCommand(page, 'View: Close All Editors');
      await clearNotifications(page);
      fs.writeFileSync(path.join(dirs.workspace, 'exits.flow.ts'), `import { flow, task } from 'flowdeck';\nconst quit = task({ name: 'quit' }, async () => { process.exit(3); });\nexport default flow({ name: 'exits' }, async () => quit());\n`);
      const { runName } = await runFlowFromTree(page, 'exits', 60_000);
      await waitForRunState(page, runName, 'Crashed', 60_000);
      const notice = await until(page, 'the crash notification', () => notifications(page), (n) => n.some((t) => t.includes(runName)));
      assert.match(notice.find((t) => t.includes(runName))!, /ended Crashed: Worker process exited unexpectedly \(exit code 3\) after process\.exit\(3\) in the flow's code/);
      await page.locator('.notification-toast', { hasText: runName }).locator('.monaco-button', { hasText: 'Go to Failure' }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await clearNotifications(page);
      // A Problems entry on that line too.
      await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
      const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'process.exit(3) was called' }).first();
      await problem.waitFor({ state: 'visible', timeout: 30_000 });
      assert.match(await problem.innerText(), /\[Ln 2, Col \d+\]/);
      await hidePanel(page);
      await openRunFromPalette(page, runName);
      const frame = await findWebviewFrame(page, '.failure');
      assert.match(await frame.locator('.failure .section-title').innerText(), /^Crashed$/);
      assert.match(await frame.locator('.failure .failure-message').innerText(), /^process\.exit\(3\) was called$/);
      assert.match(await frame.locator('.failure .frame').innerText(), /^exits\.flow\.ts:2:\d+$/);
      await frame.locator('.failure .frame').click();
      await page.locator('.tab.active', { hasText: 'exits.flow.ts' }).waitFor({ state: 'visible', timeout: 15_000 });
      await until(page, 'the cursor on line 2', () => page.locator('.part.statusbar').innerText(), (t) => /Ln 2, Col \d+/.test(t));
      await runCommand(page, 'View: Close All Editors');
    });
  });

  test('Show Logs opens the run\'s log as a flowdeck-run: document with its date on the first line', async () => {
    await withDiagnostics(page, server, 'show-logs', async () => {
      await hidePanel(page);
      await clickInlineAction(runRow(page, runs.pipeline!), 'Show Logs');
      const tab = page.locator('.tab.active', { hasText: `${runs.pipeline}.log` });
      await tab.waitFor({ state: 'visible', timeout: 15_000 });
      const editor = page.locator('.part.editor .monaco-editor').first();
      const text = await until(page, 'the log text', () => readEditorText(page, editor), (t) => t.includes('Uploaded a total of'));
      const first = text.split('\n')[0]!;
      assert.match(first, new RegExp(`^Flow run '${runs.pipeline}' of flow 'pipeline' · \\d{4}-\\d{2}-\\d{2} \\(local times\\) · Completed`));
      assert.match(text, /\d{2}:\d{2}:\d{2}\.\d{3} \| INFO {4}\| Task run 'work-3' - Working on item 3/);
      assert.match(await page.locator('.part.statusbar').innerText(), /\bLog\b/, 'language log');
      await readmeShot(page, 'run-log-document');
    });
  });

  test('Search Runs keeps the runs whose name or flow matches, says how many as you type, and the view says what it keeps', async () => {
    await withDiagnostics(page, server, 'search', async () => {
      await runCommand(page, 'Flowdeck: Search Runs…');
      const input = page.locator('.quick-input-widget input');
      // The flow's whole name: a part of it ('pipe') is in generated run names too ('kindred-sandpiper').
      await input.fill('pipeline');
      await until(page, 'the count as you type', () => page.locator('.quick-input-widget .quick-input-message').innerText(), (t) => /^1 run matches\b/.test(t.trim()));
      await input.press('Enter');
      const rows = await until(page, 'only pipeline runs', () => runRows(page), (rows) => rows.length === 2 && rows[0]!.label === 'pipeline');
      assert.match(rows[1]!.description, /^Completed/);
      const description = await sidebarPane(page, 'Runs').locator('.pane-header .description').innerText();
      assert.match(description, /“pipeline” — 1 of \d+ runs/);
      await runCommand(page, 'Flowdeck: Clear Runs Filter');
      await until(page, 'every flow again', () => runRows(page), (rows) => rows.some((r) => r.label === 'hello'));
    });
  });

  test("a CLI run's details and log document grow while it runs, as its journal grows", async () => {
    await withDiagnostics(page, server, 'cli-live', async () => {
      await runCommand(page, 'View: Close All Editors');
      const before = new Set((await runRows(page)).map((r) => r.label));
      cli = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', path.join(dirs.workspace, 'ticker.flow.ts'), '--param', 'ticks=100'], {
        cwd: dirs.workspace,
        env: { ...process.env, FLOWDECK_HOME: dirs.home, NODE_OPTIONS: '' },
        stdio: 'ignore',
      });
      const rows = await until(page, 'the CLI run in the Runs view', () => runRows(page), (rows) => rows.some((r) => !before.has(r.label) && /^Running/.test(r.description)), 60_000);
      const runName = rows.find((r) => !before.has(r.label) && /^Running/.test(r.description))!.label;
      await openRunFromPalette(page, runName);
      const frame = await findWebviewFrame(page, '.timeline-canvas');
      await frame.locator('h1', { hasText: `Run ${runName}` }).waitFor({ state: 'visible', timeout: 15_000 });
      const counts: number[] = [];
      for (const deadline = Date.now() + 30_000; Date.now() < deadline && counts.length < 4; ) {
        const text = await frame.locator('.logs .log-counts').innerText().catch(() => '');
        const n = Number(/^([\d,]+) lines?/.exec(text)?.[1]?.replace(/,/g, '') ?? 0);
        if (n > 0 && n !== counts.at(-1)) counts.push(n);
        await page.waitForTimeout(700);
      }
      assert.ok(counts.length >= 4 && counts.every((n, i) => i === 0 || n > counts[i - 1]!), `the log grew while the CLI run went on: ${counts}`);
      assert.match(await frame.locator('.run-header').innerText(), /Running/);
      metric('cli_run_log_samples_growing', counts.length);

      await frame.locator('.run-header button[data-action="showLogs"]').click();
      const editor = page.locator('.part.editor .monaco-editor').first();
      const first = await until(page, 'the document', () => readEditorText(page, editor), (t) => /tick \d+ of 100/.test(t));
      const last = (t: string) => Math.max(...[...t.matchAll(/tick (\d+) of 100/g)].map((m) => Number(m[1])));
      await until(page, 'the document growing', () => readEditorText(page, editor), (t) => last(t) > last(first) + 3, 30_000);
      cli.kill('SIGINT');
    });
  });

  test('github-repo-stats without a token offers "Sign in to GitHub" once, as a notification with the action', async () => {
    await withDiagnostics(page, server, 'github-hint', async () => {
      await clearNotifications(page);
      const offer = page.locator('.notification-toast', { hasText: 'Sign in to GitHub for 5,000 requests an hour' });
      const first = await runFlowFromTree(page, 'github-repo-stats', 60_000);
      await waitForRunState(page, first.runName, 'Completed', 90_000);
      await offer.first().waitFor({ state: 'visible', timeout: 30_000 });
      assert.equal(await offer.locator('.monaco-button', { hasText: /^Sign in to GitHub$/ }).count(), 1, 'with the action');
      assert.ok(gh.requests.every((r) => !r.headers.authorization), 'the run read GitHub anonymously');
      await clearNotifications(page);
      const second = await runFlowFromTree(page, 'github-repo-stats', 60_000);
      await waitForRunState(page, second.runName, 'Completed', 90_000);
      await page.waitForTimeout(1500);
      assert.equal(await offer.count(), 0, 'offered once');
    });
  });

  test('a stored run of 20,000 task runs opens and draws; the timeline recolours with the theme', async () => {
    await withDiagnostics(page, server, 'big-run', async () => {
      await runCommand(page, 'View: Close All Editors');
      await openRunFromPalette(page, bigRun);
      await page.locator('.tab', { hasText: `Run ${bigRun}` }).first().waitFor({ state: 'visible', timeout: 30_000 });
      const frame = await findWebviewFrame(page, '.timeline-canvas');
      const t0 = Date.now();
      // The run ended half an hour ago: while its journal is read (its last state comes last), its header
      // says so, never the Running the journal starts with, and a task run read part-way does not stretch
      // the timeline to this moment (the run's task runs span under two minutes).
      const shownStates = new Set<string>();
      let widestSpanMs = 0;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const text = await frame.locator('.header-slot .state').first().textContent({ timeout: 500 }).catch(() => null);
          if (text) shownStates.add(text.split(' — ')[0]!.trim());
          const span = await timelineData(frame).catch(() => undefined);
          if (span && span.bars > 0) widestSpanMs = Math.max(widestSpanMs, span.spanMs);
          await page.waitForTimeout(10);
        }
      })();
      const data = await until(page, '20,000 bars', () => timelineData(frame), (d) => d.bars === BIG_TASKS && d.drawMs >= 0, 120_000);
      metric('timeline_20000_open_to_drawn_ms', Date.now() - t0);
      const final = await until(page, 'the header saying Completed', () => frame.locator('.header-slot .state').first().textContent(), (t) => t?.startsWith('Completed') === true, 30_000);
      watching = false;
      await watcher;
      // On a loaded machine the watcher may not have caught a sample before this: the last look counts too.
      shownStates.add(final!.split(' — ')[0]!.trim());
      assert.deepEqual([...shownStates], ['Completed'], `the header of a finished run said: ${[...shownStates].join(', ')}`);
      metric('timeline_20000_widest_span_while_opening_s', (widestSpanMs / 1000).toFixed(1));
      assert.ok(widestSpanMs > 0 && widestSpanMs < 5 * 60_000, `the timeline spanned ${(widestSpanMs / 1000).toFixed(0)} s while the run was read`);
      metric('timeline_20000_layout_ms', data.layoutMs);
      metric('timeline_20000_draw_ms', data.drawMs);
      metric('timeline_20000_rows', data.rows);
      assert.ok(data.rows <= 16, `packed rows: ${data.rows}`);
      // Packed rows have no name column: the note above the timeline says what a row is.
      const note = await frame.locator('.timeline-note').innerText();
      assert.equal(note, `20,000 task runs share ${data.rows} rows, each row holding runs that did not overlap: point at a bar for its name, or zoom in to read names on the bars.`);
      // Zoomed in, only what is in view is drawn.
      await frame.locator('.timeline-canvas').focus();
      for (let i = 0; i < 6; i++) await page.keyboard.press('+');
      await page.waitForTimeout(300);
      metric('timeline_20000_zoomed_draw_ms', (await timelineData(frame)).drawMs);
      await until(page, 'log lines', () => frame.locator('.logs .log-counts').innerText(), (t) => /2,000 lines/.test(t), 60_000);

      const before = await pixel(frame, 3, 3);
      await pickAfterCommand(page, 'Preferences: Color Theme', 'Dark Modern');
      const after = await until(page, 'a recoloured timeline', () => pixel(frame, 3, 3), (p) => p.join() !== before.join(), 15_000);
      assert.ok(after[0]! < before[0]!, `a dark background after a light one: ${before} → ${after}`);
      await screenshot(page, 'run-details-dark');
    });
  });

  test("a big run's task-run summary in the Runs view opens its details with one click", async () => {
    await withDiagnostics(page, server, 'big-run-summary', async () => {
      await runCommand(page, 'View: Close All Editors');
      const row = runRow(page, bigRun);
      const runsList = sidebarPane(page, 'Runs').locator('.monaco-list').first();
      // Its row brought to the top of the list first: the last group's run sits at the pane's bottom edge, and
      // a list draws only the rows in view, so its children below the edge are not there to find.
      const [rowBox, listBox] = [await row.boundingBox(), await runsList.boundingBox()];
      if (rowBox && listBox && rowBox.y > listBox.y) {
        await runsList.hover();
        await page.mouse.wheel(0, rowBox.y - listBox.y);
      }
      if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
      const summary = sidebarPane(page, 'Runs').locator('.monaco-list-row', { hasText: /^\s*20,000 task runs: / }).first();
      await summary.waitFor({ state: 'visible', timeout: 30_000 });
      await summary.locator('.label-name').click();
      await page.locator('.tab', { hasText: `Run ${bigRun}` }).first().waitFor({ state: 'visible', timeout: 15_000 });
    });
  });

  test('an open run details panel comes back after the window reloads', async () => {
    await withDiagnostics(page, server, 'reload', async () => {
      await reloadWindow(page);
      await page.locator('.tab', { hasText: `Run ${bigRun}` }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await page.locator('.tab', { hasText: `Run ${bigRun}` }).first().click();
      const frame = await findWebviewFrame(page, '.timeline-canvas', 60_000);
      await frame.locator('h1', { hasText: `Run ${bigRun}` }).waitFor({ state: 'visible', timeout: 60_000 });
      await until(page, 'its timeline', () => timelineData(frame), (d) => d.bars === BIG_TASKS, 120_000);
    });
  });

  // After the big run's tests: the run it adds would push the big run's rows below the fold for them.
  test('Cancel Run on a run a terminal started cancels it in that terminal: Cancelled there and in the view, exit 1', async () => {
    await withDiagnostics(page, server, 'cli-cancel', async () => {
      const before = new Set((await runRows(page)).map((r) => r.label));
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', path.join(dirs.workspace, 'ticker.flow.ts'), '--param', 'ticks=1000'], {
        cwd: dirs.workspace,
        env: { ...process.env, FLOWDECK_HOME: dirs.home, NODE_OPTIONS: '' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      cli = child;
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      const rows = await until(page, 'the CLI run in the Runs view', () => runRows(page), (rows) => rows.some((r) => !before.has(r.label) && /^Running/.test(r.description)), 60_000);
      const runName = rows.find((r) => !before.has(r.label) && /^Running/.test(r.description))!.label;
      // From the row's context menu: its duration ticks every second, and a redraw can take the inline
      // action from under a hover (VS Code 1.139) or a menu from under a click — then it is asked again.
      let t0 = 0;
      for (let tries = 1; ; tries++) {
        await runRow(page, runName).click({ button: 'right' });
        const item = page.locator('.monaco-menu .action-item', { hasText: /^Cancel Run/ }).first();
        const shown = await item.waitFor({ state: 'visible', timeout: 5_000 }).then(() => true, () => false);
        if (shown) {
          t0 = Date.now();
          await item.hover();
          await page.keyboard.press('Enter');
          const cancelled = await waitForRunState(page, runName, 'Cancelled', 30_000).then(() => true, (e: Error) => (tries >= 3 ? Promise.reject(e) : false));
          if (cancelled) break;
        } else {
          await page.keyboard.press('Escape');
          if (tries >= 3) throw new Error(`the context menu of '${runName}' never offered Cancel Run`);
        }
      }
      metric('cli_cancel_click_to_cancelled_ms', Date.now() - t0);
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
      assert.equal(code, 1, stderr.slice(-2000));
      assert.match(stderr, new RegExp(`Flow run '${runName}' - Finished in state Cancelled\\('Cancelled from VS Code'\\)`));
    });
  });

  // After the big run's tests too: its four runs would push the big run's row below the fold for them.
  test("subflow runs: a run whose only children are subflows draws them on its timeline; a run failed by its subflow run's failure links to that run and goes to its line", async () => {
    await withDiagnostics(page, server, 'subflows', async () => {
      await runCommand(page, 'View: Close All Editors');
      await clearNotifications(page);
      fs.writeFileSync(
        path.join(dirs.workspace, 'nested.flow.ts'),
        `import { flow } from 'flowdeck';\nconst child = flow({ name: 'child' }, async () => 1);\nconst breaks = flow({ name: 'breaks' }, async () => {\n  throw new Error('the child broke on purpose');\n});\nexport const onlySubflows = flow({ name: 'only-subflows' }, async () => { await child(); });\nexport const subflowFails = flow({ name: 'subflow-fails' }, async () => { await breaks(); });\n`,
      );
      // No task run, one subflow run: its bar, opened at once and again (each opening reads the run anew).
      const { runName: parent } = await runFlowFromTree(page, 'only-subflows', 60_000);
      await waitForRunState(page, parent, 'Completed', 60_000);
      for (const opening of ['first', 'again']) {
        await openRunFromPalette(page, parent);
        const frame = await findWebviewFrame(page, '.timeline-canvas');
        await until(page, `the subflow run's bar (${opening})`, () => timelineData(frame), (d) => d.bars === 1);
        await runCommand(page, 'View: Close All Editors');
      }

      const { runName: failed } = await runFlowFromTree(page, 'subflow-fails', 60_000);
      await waitForRunState(page, failed, 'Failed', 60_000);
      await clearNotifications(page);
      await openRunFromPalette(page, failed);
      const frame = await findWebviewFrame(page, '.failure');
      const title = await until(page, 'the failure card naming the subflow run', () => frame.locator('.failure .section-title').innerText(), (t) => /^Failed in subflow run\s+\S+/.test(t));
      const child = title.replace(/^Failed in subflow run\s+/, '').trim();
      assert.notEqual(child, failed);
      assert.equal(await frame.locator('.failure .failure-message').innerText(), 'the child broke on purpose');
      assert.match(await frame.locator('.failure .frame').innerText(), /^nested\.flow\.ts:4:\d+$/);
      // "At nested.flow.ts:4" goes to the child's line (Go to Failure on the parent run).
      await frame.locator('.failure .frame').click();
      await page.locator('.tab.active', { hasText: 'nested.flow.ts' }).waitFor({ state: 'visible', timeout: 15_000 });
      await until(page, 'the cursor on line 4', () => page.locator('.part.statusbar').innerText(), (t) => /Ln 4, Col \d+/.test(t));
      // The subflow run's name opens its details.
      await page.locator('.tab', { hasText: `Run ${failed}` }).first().click();
      const again = await findWebviewFrame(page, '.failure');
      await again.locator('.failure .subflow-run').click();
      await page.locator('.tab', { hasText: `Run ${child}` }).first().waitFor({ state: 'visible', timeout: 15_000 });
      await runCommand(page, 'View: Close All Editors');
    });
  });
});
