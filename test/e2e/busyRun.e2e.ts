/**
 * The Runs view while a run is busy (a task run ending every few milliseconds), in a real VS Code: its rows
 * stay live — its task-run summary counts up, a run started meanwhile appears — and each click on its
 * summary opens the run's details, though the row is redrawn several times a second.
 * - VS Code passes a tree's changes on through a 200 ms debounce that waits for a quiet spell: told every
 *   150 ms, a busy run's changes never reached the view, which froze whole until the run went quiet
 *   (redrawPace.ts).
 * - VS Code's extension host forgets the rows it redraws until the editor reads them again: a click in
 *   between ran the row's command with no selection, and opened nothing (selectionAfterRedraw.ts).
 * Prints the counts it saw and how many clicks opened the details as `[e2e-metric]` lines.
 *
 *   bash test/e2e/run.sh test/e2e/busyRun.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { CodeServer } from './lib/codeServer';
import { hidePanel, metric, runFlowFromTree, runRow, runRows, sidebarPane, waitForRunState, withDiagnostics } from './lib/flowdeck';
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
      await runRow(page, runName).locator('.monaco-tl-twistie').click();
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
      await runRow(page, runName).locator('.monaco-tl-twistie').click();
      await summary.waitFor({ state: 'hidden', timeout: 15_000 });
      const { runName: hello } = await runFlowFromTree(page, 'hello', 30_000);
      await waitForRunState(page, hello, 'Completed', 60_000);
      assert.ok((await runRows(page)).some((r) => r.label === runName && r.description.startsWith('Running')));
      await runRow(page, runName).locator('.monaco-tl-twistie').click();
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
    });
  });
});
