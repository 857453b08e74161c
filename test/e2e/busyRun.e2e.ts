/**
 * The editor while a run is busy, in a real VS Code. The Runs view, a task run ending every few
 * milliseconds: its rows stay live — its task-run summary counts up, a run started meanwhile appears — and
 * each click on its summary opens the run's details, though the row is redrawn several times a second.
 * - VS Code passes a tree's changes on through a 200 ms debounce that waits for a quiet spell: told every
 *   150 ms, a busy run's changes never reached the view, which froze whole until the run went quiet
 *   (redrawPace.ts).
 * - VS Code's extension host forgets the rows it redraws until the editor reads them again: a click in
 *   between ran the row's command with no selection, and opened nothing (selectionAfterRedraw.ts).
 * A log document (Show Logs) of a run logging 2,000 lines a second, to 120,000: it grows while the run goes
 * and ends with its first 10,000 lines, a line saying how many it left out, and its last 90,000 (a document
 * keeps no more: runLogText.ts).
 * - VS Code applies a change of the document by diffing the whole new text, and a change that comes first
 *   cancels that diff: updates every 300 ms of a document of 60,000 lines cancelled each other, and the
 *   document stayed as it was for minutes, then ended short of the run's last lines (updateInFlight.ts).
 * - Its details' Cancel button was drawn anew with each push of the header, several times a second, and a
 *   click that straddled a redraw did nothing: the same header is not redrawn, nor the same buttons.
 * Prints what it saw as `[e2e-metric]` lines.
 *
 *   bash test/e2e/run.sh test/e2e/busyRun.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { findWebviewFrame, runCommand, type CodeServer } from './lib/codeServer';
import { hidePanel, metric, openRunFromPalette, runFlowFromTree, runRow, runRows, setExpanded, sidebarPane, waitForRunState, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

const CLICKS = 10;

/** Task runs one after another, a few milliseconds each, until cancelled: its rows change all the time. */
const CHURN_FLOW = `import { flow, getRunContext, task } from 'flowdeck';
const step = task({ name: 'step' }, async (i: number) => { await new Promise((r) => setTimeout(r, 8)); return i; });
export default flow({ name: 'churn', description: 'Task runs one after another until cancelled' }, async () => {
  const { signal } = getRunContext();
  let i = 0;
  while (!signal.aborted && i < 50_000) await step(i++);
  return i;
});
`;

const CHATTY_LINES = 120_000;

/** 100 lines every 50 ms: 2,000 lines a second, CHATTY_LINES in all. */
const CHATTY_FLOW = `import { flow, getRunContext, getRunLogger } from 'flowdeck';
export default flow({ name: 'chatty', description: 'Logs 2,000 lines a second' }, async () => {
  const { signal } = getRunContext();
  const log = getRunLogger();
  for (let i = 0; i < ${CHATTY_LINES / 100} && !signal.aborted; i++) {
    for (let j = 0; j < 100; j++) log.info('line ' + (i * 100 + j) + ' of the chatty flow, padded to the length of a real log line');
    await new Promise((r) => setTimeout(r, 50));
  }
});
`;

/** The number of lines of the active editor's document, read from Go to Line's prompt. */
async function documentLines(page: Page): Promise<number> {
  await page.locator('.part.editor .monaco-editor').first().click();
  await page.keyboard.press('Control+g');
  const prompt = page.locator('.quick-input-widget');
  await prompt.waitFor({ state: 'visible', timeout: 15_000 });
  // VS Code 1.100: "… between 1 and 4,321 …"; 1.139: "… (from 1 to 4,321)." The prompt's text comes a moment
  // after the widget shows: read until it names the count (bounded).
  const count = /between 1 and ([\d,]+)|from 1 to ([\d,]+)/;
  let text = '';
  for (const deadline = Date.now() + 15_000; !count.test(text) && Date.now() < deadline; ) {
    text = await prompt.innerText().catch(() => '');
    if (!count.test(text)) await page.waitForTimeout(100);
  }
  await page.keyboard.press('Escape');
  const m = count.exec(text);
  if (!m) throw new Error(`Go to Line's prompt does not name the line count: ${JSON.stringify(text)}`);
  return Number((m[1] ?? m[2])!.replace(/,/g, ''));
}

/**
 * The texts of the lines the editor shows after Go to Line `n` (1-based), top to bottom: a screenful around
 * line `n` (Monaco renders only what is in view).
 */
async function linesShownAt(page: Page, n: number): Promise<string[]> {
  const editor = page.locator('.part.editor .monaco-editor').first();
  await editor.click();
  await page.keyboard.press('Control+g');
  // Typed into Go to Line's own input (not wherever the focus is), then waited for: the cursor on line `n`
  // (the status bar says so) and the editor's lines drawn there and holding still, not a fixed pause.
  const input = page.locator('.quick-input-widget input');
  await input.fill(`:${n}`, { timeout: 15_000 });
  await input.press('Enter');
  const shown = () =>
    editor.evaluate((el: any) =>
      (Array.from(el.querySelectorAll('.view-lines .view-line')) as any[])
        .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
        .map((r) => (r.textContent as string).replace(/\u00a0/g, ' ')),
    );
  const at = new RegExp(`\\bLn ${n},`);
  let before: string[] = [];
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await page.waitForTimeout(100)) {
    if (!at.test(await page.locator('.part.statusbar').innerText())) continue;
    const lines = await shown();
    if (lines.length > 0 && lines.join('\n') === before.join('\n')) return lines;
    before = lines;
  }
  throw new Error(`Go to Line ${n}: the cursor did not reach it, or the lines shown did not settle, within 15 s (status bar: ${await page.locator('.part.statusbar').innerText()})`);
}

/** The number of task runs a summary row counts ("1,234 task runs: …"). */
function counted(label: string): number {
  const m = /^([\d,]+) task runs?/.exec(label.trim());
  return m ? Number(m[1]!.replace(/,/g, '')) : -1;
}

describe('Flowdeck in code-server: the Runs view while a run is busy', () => {
  let scenario: Scenario | undefined;
  let server: CodeServer;
  let page: Page;

  before(async () => {
    scenario = await openScenario('busy-run', (dirs) => {
      fs.writeFileSync(path.join(dirs.workspace, 'churn.flow.ts'), CHURN_FLOW);
      fs.writeFileSync(path.join(dirs.workspace, 'chatty.flow.ts'), CHATTY_FLOW);
      return { settings: { 'flowdeck.revealOutput': 'never' } };
    });
    ({ server, page } = scenario);
  });

  after(async () => {
    await closeScenario(scenario);
  });

  test("a busy run's rows stay live; each click on its task-run summary opens its details", { timeout: 300_000 }, async () => {
    await withDiagnostics(page, server, 'busy-run', async () => {
      await hidePanel(page);
      const { runName } = await runFlowFromTree(page, 'churn', 60_000);
      await waitForRunState(page, runName, 'Running', 60_000);
      await setExpanded(runRow(page, runName), true);
      const summary = sidebarPane(page, 'Runs').locator('.monaco-list-row').filter({ has: page.locator('.codicon-checklist') }).first();
      await summary.waitFor({ state: 'visible', timeout: 30_000 });

      // Live: the summary counts up while the run goes on (on the build before, it stayed at its first count).
      const first = counted(await summary.innerText());
      const counts = [first];
      const deadline = Date.now() + 30_000;
      while (counts.at(-1)! < first + 100 && Date.now() < deadline) {
        await page.waitForTimeout(1000);
        counts.push(counted(await summary.innerText()));
      }
      metric('busy-run-summary-counts', counts.join(' → '));
      assert.ok(counts.at(-1)! >= first + 100, `the summary counted ${counts.join(' → ')} task runs while the run went on`);
      // A run started meanwhile appears (runFlowFromTree waits for its row) and ends in the view. The busy
      // run is folded first: runFlowFromTree takes a row it has not seen for the new run, as its summary is.
      await setExpanded(runRow(page, runName), false);
      await summary.waitFor({ state: 'hidden', timeout: 15_000 });
      const { runName: hello } = await runFlowFromTree(page, 'hello', 30_000);
      await waitForRunState(page, hello, 'Completed', 60_000);
      assert.ok((await runRows(page)).some((r) => r.label === runName && r.description.startsWith('Running')));
      await setExpanded(runRow(page, runName), true);
      await summary.waitFor({ state: 'visible', timeout: 15_000 });

      // Each click on the summary, redrawn as the run goes on, opens the run's details.
      const tab = page.locator('.tab', { hasText: `Run ${runName}` }).first();
      const missed: number[] = [];
      for (let i = 0; i < CLICKS; i++) {
        if (await tab.isVisible()) {
          await tab.hover();
          await tab.locator('.tab-actions .action-label').first().click();
          await tab.waitFor({ state: 'hidden', timeout: 15_000 });
        }
        await page.mouse.move(5, 5);
        await summary.locator('.label-name').click();
        const opened = await tab.waitFor({ state: 'visible', timeout: 8_000 }).then(
          () => true,
          () => false,
        );
        if (!opened) missed.push(i + 1);
      }
      metric('busy-run-clicks-opened', `${CLICKS - missed.length} of ${CLICKS}`);
      assert.deepEqual(missed, [], `clicks on the summary that opened no details tab: ${missed.join(', ')} of ${CLICKS}`);
      // Cancelled from its details (and so it does not run on under the next test). Its Cancel button stays
      // the same element while the run goes on: a button drawn anew several times a second lost the clicks
      // whose press and release straddled a redraw.
      // The details of a run this busy, opened anew ten times, can take a while to draw on a loaded machine.
      const frame = await findWebviewFrame(page, '.run-header', 90_000);
      const cancel = frame.locator('.run-header button[data-action="cancel"]');
      await cancel.evaluate((el: any) => {
        el.dataset.e2eMark = 'kept';
      });
      await page.waitForTimeout(2_000);
      assert.equal(await cancel.getAttribute('data-e2e-mark'), 'kept', "the busy run's Cancel button was drawn anew within 2 s");
      await cancel.click();
      await waitForRunState(page, runName, 'Cancelled', 60_000);
    });
  });

  test("a chatty run's log document grows while it runs and ends with its first and last lines, saying how many it left out", { timeout: 300_000 }, async () => {
    await withDiagnostics(page, server, 'chatty-log', async () => {
      await runCommand(page, 'View: Close All Editors');
      const { runName } = await runFlowFromTree(page, 'chatty', 60_000);
      await waitForRunState(page, runName, 'Running', 60_000);
      await openRunFromPalette(page, runName);
      const frame = await findWebviewFrame(page, '.timeline-canvas');
      await frame.locator('.run-header button[data-action="showLogs"]').click();
      await page.locator('.tab.active', { hasText: `${runName}.log` }).waitFor({ state: 'visible', timeout: 30_000 });
      // Sampled while the run goes on: the document grows (on the build before, it stopped at ~59,000 lines).
      const whileRunning: number[] = [];
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
        const running = (await runRows(page)).some((r) => r.label === runName && /^Running/.test(r.description));
        if (!running) break;
        whileRunning.push(await documentLines(page));
        await page.waitForTimeout(2_000);
      }
      metric('chatty-log-lines-while-running', whileRunning.join(' → '));
      const grew = whileRunning.filter((n, i) => i > 0 && n > whileRunning[i - 1]!).length;
      assert.ok(grew >= 2, `the document grew at least twice while the run went on: ${whileRunning.join(' → ')}`);
      await waitForRunState(page, runName, 'Completed', 120_000);
      // More lines than a document keeps (runLogText.ts): its head, the first 10,000, one line saying how many
      // were left out, the last 90,000 ending with the run's end line, and the empty line after the last newline.
      const kept = 1 + 10_000 + 1 + 90_000 + 1;
      const final: number[] = [];
      let end: string[] = [];
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        final.push(await documentLines(page));
        end = final.at(-1) === kept ? await linesShownAt(page, kept - 1) : [];
        if (end.some((l) => l.includes('Finished in state Completed()'))) break;
        await page.waitForTimeout(2_000);
      }
      metric('chatty-log-lines-after-end', final.join(' → '));
      assert.equal(final.at(-1), kept, `the document keeps ${kept} lines once it ended: ${final.join(' → ')}`);
      assert.ok(end.some((l) => l.includes(`line ${CHATTY_LINES - 1} of the chatty flow`)) && end.some((l) => l.includes('Finished in state Completed()')), `it ends with the run's last lines:\n${end.join('\n')}`);
      const gap = await linesShownAt(page, 10_002);
      assert.ok(
        gap.some((l) => /^… [\d,]+ lines left out here: this document keeps the first 10,000 and the last 90,000\. .*`flowdeck logs /.test(l)),
        `the line after the first 10,000 says how many were left out:\n${gap.join('\n')}`,
      );
    });
  });
});
