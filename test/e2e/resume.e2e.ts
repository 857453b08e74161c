/**
 * Retry from Failure in a real VS Code: a flow fails at its second task; Retry from Failure on its row
 * in the Runs view runs the same run again as attempt 2, reusing the first task's result. And a run its
 * flow pauses (pauseFlowRun): the notification's Resume… and the row's Resume Run ask for its input, one
 * box each (a value that does not fit is said in the box), and the run goes on with it.
 *
 *   bash test/e2e/run.sh test/e2e/resume.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { deserialize } from '../../src/engine/serializer';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { answerBox, clickInlineAction, clickInlineActionUntil, findWebviewFrame, quickInput, runCommand, screenshot, type CodeServer } from './lib/codeServer';
import { clearNotifications, hidePanel, makeScenarioDirs, metric, openRunFromPalette, runFlowFromTree, runRow, runRows, sidebarPane, waitForOutputLog, waitForRunState, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';
import { runCli } from '../support/engine';

const APPROVE_FLOW = `import { flow, task, pauseFlowRun, getRunLogger } from 'flowdeck';

const build = task({ name: 'build' }, async () => 'v7');

export default flow({ name: 'approve-deploy' }, async () => {
  const version = await build();
  const { approve, replicas } = await pauseFlowRun({
    description: 'Deploy ' + version + ' to production?',
    timeoutSeconds: 600,
    input: { approve: { type: 'boolean', required: true }, replicas: { type: 'integer', default: 2, minimum: 1 } },
  });
  getRunLogger().info('approve=' + approve + ' replicas=' + replicas);
  return approve ? 'deployed x' + replicas : 'skipped';
});
`;

const PUBLISH_FLOW = `import { flow, task, suspendFlowRun, getRunLogger } from 'flowdeck';

const build = task({ name: 'build-report' }, async () => 'report-7');

export default flow({ name: 'publish-report' }, async () => {
  const report = await build();
  const { approve } = await suspendFlowRun({ description: 'Publish ' + report + '?', input: { approve: { type: 'boolean', required: true } } });
  getRunLogger().info('publish=' + approve);
  return approve ? 'published ' + report : 'kept back';
});
`;

const TAGGED_FLOW = `import { flow } from 'flowdeck';

export default flow({ name: 'tagged-report', tags: ['reports'] }, async ({ n }: { n: number }) => n * 2);
`;

describe('Flowdeck in code-server: Retry from Failure, Resume Run, Rerun', () => {
  let dirs: ReturnType<typeof makeScenarioDirs>;
  let server: CodeServer;
  let page: Page;

  let scenario: Scenario | undefined;

  before(async () => {
    scenario = await openScenario('resume', (d) => {
      fs.writeFileSync(path.join(d.workspace, 'approve.flow.ts'), APPROVE_FLOW);
      fs.writeFileSync(path.join(d.workspace, 'publish.flow.ts'), PUBLISH_FLOW);
      fs.writeFileSync(path.join(d.workspace, 'tagged.flow.ts'), TAGGED_FLOW);
      return {};
    });
    ({ dirs, server, page } = scenario);
  });

  after(() => closeScenario(scenario));

  test('a failed run, retried from the Runs view, completes as attempt 2 and says what it reused', async () => {
    await withDiagnostics(page, server, 'resume', async () => {
      const { runName } = await runFlowFromTree(page, 'flaky');
      await waitForRunState(page, runName, 'Failed', 90_000);
      const clickedAt = Date.now();
      await clickInlineAction(runRow(page, runName), 'Retry from Failure');
      // The row shows the failed attempt until the new one starts.
      const deadline = Date.now() + 60_000;
      while (((await runRows(page)).find((r) => r.label === runName)?.description ?? '').startsWith('Failed')) {
        if (Date.now() > deadline) throw new Error(`run '${runName}' still shows Failed 60 s after Retry from Failure`);
        await page.waitForTimeout(50);
      }
      const done = await waitForRunState(page, runName, 'Completed', 90_000);
      metric('retry_click_to_completed_ms', done.seenAt - clickedAt);
      await waitForOutputLog(server, new RegExp(`Resuming flow run '${runName}' \\(attempt 2\\): up to 1 of 2 task runs reused`), 30_000);

      const store = await EmbeddedStore.open(dirs.home, { readOnly: true });
      const run = (await store.list()).find((r) => r.name === runName)!;
      const detail = (await store.readRun(run.id))!;
      await store.close();
      assert.equal(detail.attempt, 2);
      assert.deepEqual(
        detail.taskRuns.map((t) => `${t.name}:${t.state.name}:${t.flowAttempt}`),
        ['prepare-0:Completed:1', 'finish-0:Failed:1', 'prepare-0:Cached:2', 'finish-0:Completed:2'],
      );
    });
  });

  test("a paused run says so; Resume… asks for its input, one box each, and the run goes on with it; so do Resume Run on its row and Resume… in its details", async () => {
    await withDiagnostics(page, server, 'resume-paused', async () => {
      // The screenshot shows this run's notice alone.
      await clearNotifications(page);
      await hidePanel(page);
      const { runName } = await runFlowFromTree(page, 'approve-deploy');
      const paused = await waitForRunState(page, runName, 'Paused', 90_000);
      // The notification names the run and what it waits for.
      const toast = page.locator('.notification-toast', { hasText: `Flow run '${runName}' of flow 'approve-deploy' is paused: Deploy v7 to production?` }).first();
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      metric('paused_row_to_notice_ms', Date.now() - paused.seenAt);
      // The status bar says a run waits for the user.
      await page.locator('.part.statusbar .statusbar-item', { hasText: '1 flow paused' }).waitFor({ state: 'visible', timeout: 30_000 });
      await screenshot(page, 'run-paused');
      await toast.locator('.monaco-button', { hasText: 'Resume…' }).click();
      // The input it waits for, checked in the box as the run checks it.
      await answerBox(page, `Resume ${runName} (1/2): approve`, 'true', { text: 'maybe', message: /Type true or false/ });
      await answerBox(page, `Resume ${runName} (2/2): replicas`, '3', { text: '0', message: /'replicas' must be ≥ 1, got 0/ });
      await waitForRunState(page, runName, 'Completed', 60_000);
      await waitForOutputLog(server, new RegExp(`Flow run '${runName}' - approve=true replicas=3`), 30_000);

      // Again, resumed from its row in the Runs view; the default kept.
      const second = await runFlowFromTree(page, 'approve-deploy');
      await waitForRunState(page, second.runName, 'Paused', 90_000);
      await clickInlineActionUntil(runRow(page, second.runName), 'Resume Run', quickInput(page).locator('.quick-input-title', { hasText: `Resume ${second.runName} (1/2)` }));
      await answerBox(page, `Resume ${second.runName} (1/2): approve`, 'false');
      await answerBox(page, `Resume ${second.runName} (2/2): replicas`, '2');
      await waitForRunState(page, second.runName, 'Completed', 60_000);
      await waitForOutputLog(server, new RegExp(`Flow run '${second.runName}' - approve=false replicas=2`), 30_000);

      // And from its details: Resume… is the action that stands out while it is paused.
      const third = await runFlowFromTree(page, 'approve-deploy');
      await waitForRunState(page, third.runName, 'Paused', 90_000);
      await runCommand(page, 'View: Close All Editors');
      await openRunFromPalette(page, third.runName);
      const frame = await findWebviewFrame(page, '.run-header');
      const resume = frame.locator('.run-header button[data-action="resume"]');
      await resume.waitFor({ state: 'visible', timeout: 30_000 });
      assert.match((await resume.getAttribute('class')) ?? '', /\bprimary\b/);
      assert.match((await frame.locator('.run-header .state').textContent()) ?? '', /^Paused — Deploy v7 to production\?$/);
      // What Resume… will ask, and until when.
      await frame.locator('.run-header dd', { hasText: /^approve \(boolean, required\), replicas \(integer, default 2\) — until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/ }).waitFor({ timeout: 15_000 });
      await resume.click();
      await answerBox(page, `Resume ${third.runName} (1/2): approve`, 'true');
      await answerBox(page, `Resume ${third.runName} (2/2): replicas`, '1');
      await waitForRunState(page, third.runName, 'Completed', 60_000);
      await frame.locator('.run-header button[data-action="resume"]').waitFor({ state: 'detached', timeout: 30_000 });
      // What it was resumed with, by the pause's key.
      await frame.locator('.run-header dd', { hasText: /^pause-1: \{"approve":true,"replicas":1\} \(attempt 1\)$/ }).waitFor({ timeout: 30_000 });

      const store = await EmbeddedStore.open(dirs.home, { readOnly: true });
      const runs = await store.list();
      const details = await Promise.all([runName, second.runName, third.runName].map((n) => store.readRun(runs.find((r) => r.name === n)!.id)));
      await store.close();
      assert.deepEqual(details.map((d) => d!.states.map((s) => s.name).join(' ')), Array(3).fill('Pending Running Paused Running Completed'));
      assert.deepEqual(details.map((d) => (d!.result ? deserialize(d!.result.dv) : undefined)), ['deployed x3', 'skipped', 'deployed x1']);
    });
  });

  test('a suspended run says so; Resume… asks for its input and runs it in this window from its checkpoints', async () => {
    await withDiagnostics(page, server, 'resume-suspended', async () => {
      await clearNotifications(page);
      const { runName } = await runFlowFromTree(page, 'publish-report');
      await waitForRunState(page, runName, 'Suspended', 90_000);
      const toast = page.locator('.notification-toast', { hasText: `Flow run '${runName}' of flow 'publish-report' is suspended: Publish report-7?` }).first();
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      await toast.locator('.monaco-button', { hasText: 'Resume…' }).click();
      await answerBox(page, `Resume ${runName} (1/1): approve`, 'true', { text: 'maybe', message: /Type true or false/ });
      await waitForRunState(page, runName, 'Completed', 90_000);
      await waitForOutputLog(server, new RegExp(`Flow run '${runName}' - publish=true`), 30_000);
      await waitForOutputLog(server, new RegExp(`Flow run '${runName}' - Going on after suspension 'pause-1' with input approve`), 30_000);

      const store = await EmbeddedStore.open(dirs.home, { readOnly: true });
      const run = (await store.list()).find((r) => r.name === runName)!;
      const detail = (await store.readRun(run.id))!;
      await store.close();
      assert.equal(detail.states.map((s) => s.name).join(' '), 'Pending Running Suspended AwaitingRetry Running Completed');
      assert.deepEqual(detail.taskRuns.map((t) => `${t.name}:${t.state.name}:${t.flowAttempt}`), ['build-report-0:Completed:1', 'build-report-0:Cached:2']);
      assert.equal(detail.result ? deserialize(detail.result.dv) : undefined, 'published report-7');
    });
  });

  test('Clear History deletes every finished run after asking, and keeps a suspended one (it waits for input)', async () => {
    await withDiagnostics(page, server, 'clear-history', async () => {
      await clearNotifications(page);
      const { runName } = await runFlowFromTree(page, 'publish-report');
      await waitForRunState(page, runName, 'Suspended', 90_000);
      const listed = async () => {
        const store = await EmbeddedStore.open(dirs.home, { readOnly: true });
        try {
          return (await store.list({ rootsOnly: true })).map((r) => [r.name, r.state.name] as const);
        } finally {
          await store.close();
        }
      };
      const before = await listed();
      assert.ok(before.some(([, st]) => st === 'Completed'), `finished runs to clear: ${JSON.stringify(before)}`);
      await runCommand(page, 'Flowdeck: Clear History');
      const dialog = page.locator('.monaco-dialog-box', { hasText: /Delete all \d+ finished flow runs?\?/ });
      await dialog.waitFor({ state: 'visible', timeout: 15_000 });
      await dialog.locator('.monaco-button', { hasText: 'Clear History' }).click();
      const deadline = Date.now() + 60_000;
      while ((await listed()).length > 1 && Date.now() < deadline) await page.waitForTimeout(250);
      assert.deepEqual(await listed(), [[runName, 'Suspended']]);
      // The Runs view drops the deleted runs' rows (and their flows' groups), and keeps the suspended one.
      const gone = before.map(([name]) => name).filter((name) => name !== runName);
      let rows = await runRows(page);
      for (const until = Date.now() + 30_000; Date.now() < until && rows.some((r) => gone.includes(r.label) || r.label === 'approve-deploy'); ) {
        await page.waitForTimeout(250);
        rows = await runRows(page);
      }
      assert.deepEqual(rows.filter((r) => gone.includes(r.label) || r.label === 'approve-deploy'), [], `rows left: ${JSON.stringify(rows)}`);
      // The details panel of a deleted run, open from before, says so in its title.
      await page.locator('.tab .label-name', { hasText: /^Run [a-z]+-[a-z]+ \(deleted\)$/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
      await screenshot(page, 'resume-clear-history');
      await waitForRunState(page, runName, 'Suspended', 30_000);
    });
  });

  test("Rerun in a run's details starts the same flow again, with its parameters and its tags, as a new run", async () => {
    await withDiagnostics(page, server, 'rerun', async () => {
      const first = await runCli(['run', path.join(dirs.workspace, 'tagged.flow.ts'), '--param', 'n=21', '--tag', 'from-ci', '--json'], { env: { FLOWDECK_HOME: dirs.home }, cwd: dirs.workspace });
      assert.equal(first.code, 0, first.stderr);
      const run = JSON.parse(first.stdout) as { id: string; name: string; tags?: string[] };
      assert.deepEqual(run.tags, ['reports', 'from-ci']);
      await runCommand(page, 'View: Close All Editors');
      await openRunFromPalette(page, run.name);
      const frame = await findWebviewFrame(page, '.run-header');
      // Its tags are in its header.
      await frame.locator('.run-header dd', { hasText: /^reports, from-ci$/ }).waitFor({ timeout: 30_000 });
      await frame.locator('.run-header button[data-action="rerun"]').click();
      const deadline = Date.now() + 90_000;
      for (;;) {
        const store = await EmbeddedStore.open(dirs.home, { readOnly: true });
        try {
          const again = (await store.list({ flowNames: ['tagged-report'] })).find((r) => r.id !== run.id);
          if (again && again.state.type === 'COMPLETED') {
            assert.deepEqual(again.tags, ['reports', 'from-ci'], 'the tags it was run with, kept');
            assert.deepEqual(await store.parametersOf(again.id), { n: 21 });
            const detail = (await store.readRun(again.id))!;
            assert.equal(detail.result ? deserialize(detail.result.dv) : undefined, 42);
            break;
          }
          if (Date.now() > deadline) throw new Error(`no completed rerun of '${run.name}' 90 s after Rerun: ${JSON.stringify(again?.state)}`);
        } finally {
          await store.close();
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      await screenshot(page, 'rerun-details');

      // Filter Runs… offers the tags runs carry, with how many; picking one keeps the runs carrying it.
      await runCommand(page, 'Flowdeck: Filter Runs…');
      const tagRow = quickInput(page).locator('.monaco-list-row', { hasText: /from-ci\s*2 runs/ }).first();
      await tagRow.waitFor({ state: 'visible', timeout: 15_000 });
      await tagRow.click(); // a multi-select pick: the click checks it
      await quickInput(page).locator('input').press('Enter');
      const description = sidebarPane(page, 'Runs').locator('.pane-header .description');
      await description.filter({ hasText: /#from-ci — 2 of \d+ runs/ }).waitFor({ state: 'visible', timeout: 30_000 });
      const deadline2 = Date.now() + 30_000;
      let rows = await runRows(page);
      while (rows.some((r) => r.label === 'publish-report' || r.label === 'approve-deploy') && Date.now() < deadline2) {
        await page.waitForTimeout(250);
        rows = await runRows(page);
      }
      assert.ok(rows.some((r) => r.label === 'tagged-report') && !rows.some((r) => r.label === 'publish-report'), `rows: ${JSON.stringify(rows)}`);
      await screenshot(page, 'runs-filtered-by-tag');
      await runCommand(page, 'Flowdeck: Clear Runs Filter');
    });
  });
});
