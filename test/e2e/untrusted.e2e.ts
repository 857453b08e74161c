/**
 * Flowdeck in Restricted Mode (workspace trust on, folder not trusted): workspace flows are listed but
 * refused with the reason, and no run starts; a built-in flow still runs.
 *
 *   bash test/e2e/run.sh test/e2e/untrusted.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import {
  notifications,
  openViewContainer,
  screenshot,
  waitForOutputChannel,
  type CodeServer,
} from './lib/codeServer';
import { flowRow, linesOfRun, makeScenarioDirs, runFlowFromTree, runRows, waitForRunState, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';
import { startFakeGitHub, type FakeGitHub } from '../support/fakeGitHub';

const UNTRUSTED = 'Flowdeck runs workspace flows only in a trusted workspace';

describe('Flowdeck in code-server: untrusted workspace (Restricted Mode)', () => {
  let dirs: ReturnType<typeof makeScenarioDirs>;
  let gh: FakeGitHub;
  let server: CodeServer;
  let page: Page;

  let scenario: Scenario | undefined;

  before(async () => {
    gh = await startFakeGitHub({ repos: [{ fullName: 'PrefectHQ/prefect', stars: 812, forks: 40, subscribers: 9, openIssues: 3, openPulls: 1 }] });
    scenario = await openScenario('untrusted', { trusted: false, env: { FLOWDECK_GITHUB_API_URL: gh.url } });
    ({ dirs, server, page } = scenario);
  });

  after(async () => {
    await closeScenario(scenario);
    await gh?.close();
  });

  test('a workspace flow is refused with the reason and no run starts', async () => {
    await withDiagnostics(page, server, 'untrusted-refused', async () => {
      await page.locator('.part.statusbar').getByText('Restricted Mode').first().waitFor({ state: 'visible', timeout: 15_000 });
      await openViewContainer(page, 'Flowdeck');
      const row = flowRow(page, 'hello');
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      await flowRow(page, 'github-repo-stats').waitFor({ state: 'visible', timeout: 10_000 });

      await row.hover();
      await row.locator('.actions [aria-label="Run Flow"]').first().click();
      const toast = page.locator('.notification-toast', { hasText: UNTRUSTED }).first();
      await assert.doesNotReject(toast.waitFor({ state: 'visible', timeout: 15_000 }), `a notification says why; shown: ${JSON.stringify(await notifications(page))}`);
      const text = await toast.innerText();
      assert.match(text, /flow files are code/);
      assert.match(text, /Manage Workspace Trust/, 'the notification offers to manage trust');
      await page.waitForTimeout(500); // the toast slides in; only for the screenshot
      await screenshot(page, 'untrusted-refused');

      // Nothing started: no run in the view, no "Created flow run" line, nothing in the store.
      await page.waitForTimeout(1500);
      assert.deepEqual(await runRows(page), [], 'the Runs view stays empty');
      assert.doesNotMatch(server.readOutputChannelFromLogs('Flowdeck') ?? '', /Created flow run '[^']+' for flow 'hello'/);
      const index = path.join(dirs.home, 'runs', 'index.jsonl');
      assert.ok(!fs.existsSync(index) || !fs.readFileSync(index, 'utf8').includes('"hello"'), 'the store has no run of hello');
      await page.locator('.notification-toast .codicon-notifications-clear, .notification-toast .action-label[aria-label^="Clear"]').first().click().catch(() => undefined);
    });
  });

  test('a built-in flow still runs in Restricted Mode', async () => {
    await withDiagnostics(page, server, 'untrusted-builtin', async () => {
      const { runName } = await runFlowFromTree(page, 'github-repo-stats');
      await waitForRunState(page, runName, 'Completed', 90_000);
      const text = await waitForOutputChannel(page, 'Flowdeck', `Flow run '${runName}' - Finished in state Completed()`, { timeoutMs: 30_000 });
      const lines = linesOfRun(text, runName, 'github-repo-stats').join('\n');
      assert.match(lines, /Stars 🌟 : 812/);
      assert.ok(gh.requests.some((r) => r.path === '/repos/PrefectHQ/prefect' && r.status === 200), 'the loopback GitHub was asked');
      await screenshot(page, 'untrusted-builtin');
    });
  });
});
