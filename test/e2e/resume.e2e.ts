/**
 * Retry from Failure in a real VS Code: a flow fails at its second task; Retry from Failure on its row
 * in the Runs view runs the same run again as attempt 2, reusing the first task's result.
 *
 *   bash test/e2e/run.sh test/e2e/resume.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { clickInlineAction, type CodeServer } from './lib/codeServer';
import { makeScenarioDirs, metric, runFlowFromTree, runRow, runRows, waitForOutputLog, waitForRunState, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

describe('Flowdeck in code-server: Retry from Failure', () => {
  let dirs: ReturnType<typeof makeScenarioDirs>;
  let server: CodeServer;
  let page: Page;

  let scenario: Scenario | undefined;

  before(async () => {
    scenario = await openScenario('resume');
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
      await waitForOutputLog(server, new RegExp(`Resuming flow run '${runName}' \\(attempt 2\\): 1 of 2 task runs reused`), 30_000);

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
});
