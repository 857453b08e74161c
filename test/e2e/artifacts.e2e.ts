/**
 * Artifacts in a real VS Code: a workspace flow creates a chart, a markdown report (with a table, and
 * hostile markup that must not survive), a table of 120 rows and a link; run from the Flows view, its
 * artifacts appear in the dashboard's section for that flow, drawn and paged, and in the run's details.
 * A second flow waits between two artifacts: its details panel shows the second as it is created, and
 * its progress bar as it moves (and the status bar and the run's row their percentage).
 *
 *   bash test/e2e/run.sh test/e2e/artifacts.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { FrameLocator, Page } from 'playwright-core';
import { findWebviewFrame, runCommand, screenshot, webviewFrame, type CodeServer } from './lib/codeServer';
import { copiedText, inTallWindow } from './lib/dashboard';
import { canvasInk, hidePanel, metric, openRunFromPalette, rowByLabel, runFlowFromTree, waitForRunState, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

const FLOW = `import { flow, task, createChartArtifact, createMarkdownArtifact, createTableArtifact, createLinkArtifact } from 'flowdeck';

const rank = task({ name: 'rank' }, async () => {
  const rows = Array.from({ length: 120 }, (_, i) => ({ customer: 'customer-' + (i + 1), spend: 1000 - i }));
  createTableArtifact('top-customers', rows);
});

export default flow({ name: 'artifact-report' }, async () => {
  await rank();
  createChartArtifact('latency', { kind: 'line', x: ['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04'], series: { p50: [12, 15, 11, 14], p95: [40, 52, 38, 61] }, yLabel: 'ms' });
  createMarkdownArtifact('report', [
    '# Daily report',
    '',
    '| region | orders |',
    '|---|---:|',
    '| north | 1,204 |',
    '| south | 987 |',
    '',
    '<img src="x" onerror="document.body.dataset.pwned = 1"> [harmless](javascript:alert(1)) <script>document.body.dataset.pwned = 2</script>',
  ].join('\\n'));
  createLinkArtifact('sheet', 'https://example.com/sheet', 'The spreadsheet');
});
`;

/** Creates one artifact, waits (bounded) for the test to create `release`, then creates another. */
function liveFlow(release: string): string {
  return `import { existsSync } from 'node:fs';
import { flow, createMarkdownArtifact, createProgressArtifact } from 'flowdeck';

export default flow({ name: 'artifact-live' }, async () => {
  createMarkdownArtifact('step-one', '# Step one done');
  for (let i = 1; i <= 1000; i++) createProgressArtifact('steps', i / 20, 'Step one of two: item ' + i);
  for (let i = 0; i < 600 && !existsSync(${JSON.stringify(release)}); i++) await new Promise((r) => setTimeout(r, 100));
  createMarkdownArtifact('step-two', '# Step two done');
  createProgressArtifact('steps', 100, 'Both steps done');
});
`;
}

/** Waits until the canvas at `selector` has ink (chart.js draws after layout); returns the pixels inked. */
async function inkedPixels(page: Page, frame: FrameLocator, selector: string): Promise<number> {
  let inks: Awaited<ReturnType<typeof canvasInk>> = [];
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await page.waitForTimeout(50)) {
    inks = await canvasInk(frame, selector).catch(() => []);
    if (inks[0] && inks[0].inked > 500) break;
  }
  assert.ok(inks[0] && inks[0].inked > 500, `${selector} has ink: ${JSON.stringify(inks)}`);
  return inks[0]!.inked;
}

describe('Flowdeck in code-server: artifacts', () => {
  let server: CodeServer;
  let page: Page;
  let scenario: Scenario | undefined;
  let release = '';
  let reportRun = '';

  before(async () => {
    scenario = await openScenario('artifacts', (dirs) => {
      fs.writeFileSync(path.join(dirs.workspace, 'artifact-report.flow.ts'), FLOW);
      release = path.join(dirs.root, 'release-step-two');
      fs.writeFileSync(path.join(dirs.workspace, 'artifact-live.flow.ts'), liveFlow(release));
      return {};
    });
    ({ server, page } = scenario);
  });

  after(() => closeScenario(scenario));

  test("a flow's chart, markdown table, paged table and link show in its dashboard section; hostile markup does not run", async () => {
    await withDiagnostics(page, server, 'artifacts', async () => {
      const { runName, clickedAt } = await runFlowFromTree(page, 'artifact-report');
      reportRun = runName;
      await waitForRunState(page, runName, 'Completed', 90_000);
      await hidePanel(page);
      await runCommand(page, 'View: Close All Editors');
      await runCommand(page, 'Flowdeck: Open Dashboard');
      const frame = webviewFrame(page);
      const section = frame.locator('section.artifacts[data-flow="artifact-report"]');
      await section.waitFor({ state: 'visible', timeout: 30_000 });
      metric('artifacts_run_to_section_ms', Date.now() - clickedAt);

      // The chart: drawn by chart.js with ink, and the PNG/CSV export actions every chart has.
      const chart = section.locator('[data-artifact-key="latency"]');
      metric('artifact_chart_inked_pixels', await inkedPixels(page, frame, 'section.artifacts [data-artifact-key="latency"] canvas'));
      for (const label of ['Save as PNG', 'Copy as CSV', 'Save as CSV']) assert.equal(await chart.locator(`button[aria-label="${label}"]`).count(), 1, label);

      // The markdown report: its table rendered, the hostile parts gone and never run.
      const report = section.locator('[data-artifact-key="report"] .markdown-body');
      assert.equal(await report.locator('h1').textContent(), 'Daily report');
      assert.deepEqual(await report.locator('td').allTextContents(), ['north', '1,204', 'south', '987']);
      assert.equal(await report.locator('script, img[onerror], a[href^="javascript"]').count(), 0);
      assert.equal(await frame.locator('body').getAttribute('data-pwned'), null);

      // The README's screenshot, of the section as it first shows.
      await inTallWindow(page, async () => {
        await section.scrollIntoViewIfNeeded();
        await screenshot(page, 'artifacts');
      });

      // The table: the first 50 of 120 rows, then the next page from the host.
      const table = section.locator('[data-artifact-key="top-customers"]');
      assert.equal(await table.locator('tbody tr').count(), 50);
      assert.match((await table.locator('.table-status').textContent()) ?? '', /Rows 1–50 of 120/);
      await table.locator('button[aria-label="Next rows"]').click();
      await table.locator('.table-status', { hasText: /Rows 51–100 of 120/ }).waitFor({ timeout: 15_000 });
      assert.equal(await table.locator('tbody tr').first().locator('td').first().textContent(), 'customer-51');

      // The link, labelled.
      assert.equal(await section.locator('[data-artifact-key="sheet"] .artifact-link').textContent(), 'The spreadsheet');
    });
  });

  test("the run's details show its artifacts and its task run's, drawn and paged as in the dashboard", async () => {
    assert.ok(reportRun, 'the dashboard test ran the flow');
    await withDiagnostics(page, server, 'artifacts-run-details', async () => {
      await runCommand(page, 'View: Close All Editors');
      await openRunFromPalette(page, reportRun);
      const frame = await findWebviewFrame(page, '.run-header');
      const section = frame.locator('section.run-artifacts');
      await section.waitFor({ state: 'visible', timeout: 30_000 });
      metric('run_details_artifact_chart_inked_pixels', await inkedPixels(page, frame, 'section.run-artifacts [data-artifact-key="latency"] canvas'));
      assert.equal(await section.locator('[data-artifact-key="latency"] button[aria-label="Save as PNG"]').count(), 1);

      const report = section.locator('[data-artifact-key="report"] .markdown-body');
      assert.equal(await report.locator('h1').textContent(), 'Daily report');
      assert.deepEqual(await report.locator('td').allTextContents(), ['north', '1,204', 'south', '987']);
      assert.equal(await report.locator('script, img[onerror], a[href^="javascript"]').count(), 0);
      assert.equal(await frame.locator('body').getAttribute('data-pwned'), null);

      // The task run's table, titled by the task run, its next page read from the host.
      const table = section.locator('[data-artifact-key="top-customers"]');
      assert.match((await table.locator('.artifact-title').textContent()) ?? '', /rank/);
      assert.match((await table.locator('.table-status').textContent()) ?? '', /Rows 1–50 of 120/);
      await table.locator('button[aria-label="Next rows"]').click();
      await table.locator('.table-status', { hasText: /Rows 51–100 of 120/ }).waitFor({ timeout: 15_000 });
      assert.equal(await table.locator('tbody tr').first().locator('td').first().textContent(), 'customer-51');

      // Copy as CSV takes every row from the host, not the page the webview holds.
      const csv = await copiedText(page, () => table.getByRole('button', { name: 'Copy as CSV' }).click(), (t) => t.startsWith('customer,'));
      const rows = parse(csv, { columns: true }) as Record<string, string>[];
      assert.equal(rows.length, 120, `every row of the table: ${csv.slice(0, 200)}`);
      assert.equal(rows[119]!.customer, 'customer-120');
      await screenshot(page, 'run-details-artifacts');
    });
  });

  test("a running run's details show an artifact as soon as it is created", async () => {
    await withDiagnostics(page, server, 'artifacts-live', async () => {
      await runCommand(page, 'View: Close All Editors');
      const { runName } = await runFlowFromTree(page, 'artifact-live');
      await waitForRunState(page, runName, 'Running', 60_000);
      await openRunFromPalette(page, runName);
      const frame = await findWebviewFrame(page, '.run-header');
      const section = frame.locator('section.run-artifacts');
      await section.locator('[data-artifact-key="step-one"] h1', { hasText: 'Step one done' }).waitFor({ timeout: 30_000 });
      assert.equal(await section.locator('[data-artifact-key="step-two"]').count(), 0, 'the second artifact is not made yet');
      // A thousand updates in a loop: the latest is shown (the run keeps it however fast they came).
      const steps = section.locator('[data-artifact-key="steps"]');
      await steps.locator('.progress-figure', { hasText: '50%' }).waitFor({ timeout: 30_000 });
      assert.equal(await steps.locator('.progress-description').textContent(), 'Step one of two: item 1000');
      assert.equal(await steps.locator('progress').getAttribute('value'), '50');
      // The window's status bar shows the one run's progress too, and so does its row in the Runs view.
      await page.locator('.part.statusbar .statusbar-item', { hasText: '1 flow running · 50%' }).waitFor({ timeout: 30_000 });
      await rowByLabel(page, 'Runs', runName).locator('.label-description', { hasText: /^Running · .+ · 50%$/ }).waitFor({ timeout: 30_000 });
      await steps.scrollIntoViewIfNeeded();
      await screenshot(page, 'run-details-progress');
      fs.writeFileSync(release, 'go');
      await section.locator('[data-artifact-key="step-two"] h1', { hasText: 'Step two done' }).waitFor({ timeout: 30_000 });
      await steps.locator('.progress-figure', { hasText: '100%' }).waitFor({ timeout: 30_000 });
      assert.equal(await steps.locator('.progress-description').textContent(), 'Both steps done');
      await waitForRunState(page, runName, 'Completed', 60_000);
    });
  });
});
