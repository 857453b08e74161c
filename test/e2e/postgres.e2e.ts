/**
 * A Postgres store in a real VS Code: with `flowdeck.store` set to a postgres:// URL, the Workers view
 * lists a live `flowdeck worker` (another process, its own host name); a run queued from the CLI appears
 * in the Runs view live, is run by that worker to Completed, and its tooltip names the worker's host; the
 * worker, stopped, leaves the Workers view.
 *
 *   export FLOWDECK_TEST_PG_URL=$(bash test/support/pg-up.sh | tail -n 1)
 *   bash test/e2e/run.sh test/e2e/postgres.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { runCli, tempDir } from '../support/engine';
import { startWorker, type WorkerProc } from '../support/workers';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { openViewContainer, type CodeServer } from './lib/codeServer';
import { metric, paneRows, rowByLabel, runRow, sidebarPane, waitForRunState, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

const WORKER = 'e2e-worker-1';

/** Expands a side-bar pane (a view of the Flowdeck container) if it is collapsed. */
async function expandPane(page: Page, title: string): Promise<void> {
  const header = sidebarPane(page, title).locator('.pane-header');
  await header.waitFor({ state: 'visible', timeout: 30_000 });
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
}

const workerRows = (page: Page) => paneRows(page, 'Workers');

async function until<T>(page: Page, what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await page.waitForTimeout(250);
  }
}

describe('Flowdeck in code-server: a Postgres store shared with a worker', { skip: PG_SKIP }, () => {
  let server: CodeServer;
  let page: Page;
  let scenario: Scenario | undefined;
  let worker: WorkerProc | undefined;
  let workspace: string;
  const schema = PG_SKIP ? '' : freshSchema();
  const storeEnv = (): NodeJS.ProcessEnv => ({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema });

  before(async () => {
    scenario = await openScenario('postgres', {
      settings: { 'flowdeck.store': pgUrl() },
      // The setting names the database; the schema of this run comes from the environment, as for the CLI.
      env: { FLOWDECK_STORE_SCHEMA: schema },
    });
    ({ server, page } = scenario);
    workspace = scenario.dirs.workspace;
    worker = await startWorker({ url: pgUrl(), schema, name: WORKER, flowsDir: workspace, concurrency: 2, heartbeatSeconds: 1, leaseSeconds: 10 });
    await openViewContainer(page, 'Flowdeck');
  });

  after(async () => {
    await worker?.stop();
    await closeScenario(scenario);
  });

  test('the Workers view lists the live worker with its queue', async () => {
    await withDiagnostics(page, server, 'postgres-workers', async () => {
      await expandPane(page, 'Workers');
      const row = await until(page, `the Workers view to list ${WORKER}`, 60_000, async () => (await workerRows(page)).find((r) => r.label === WORKER));
      assert.match(row.description, /^default · \d+\/2 running · /);
    });
  });

  test('a run queued from the CLI shows in the Runs view live, completes on the worker, and names its host', async () => {
    await withDiagnostics(page, server, 'postgres-queued', async () => {
      await expandPane(page, 'Runs');
      const queued = await runCli(['run', 'hello.flow.ts', '--queue', 'default', '--json'], { env: { ...storeEnv(), FLOWDECK_HOME: tempDir('flowdeck-e2e-cli-') }, cwd: workspace });
      assert.equal(queued.code, 0, queued.stderr);
      const queuedAt = Date.now();
      const run = JSON.parse(queued.stdout) as { id: string; name: string; flowName: string };
      assert.equal(run.flowName, 'hello');
      // No action in the editor: the row comes from the store's notifications.
      await until(page, `run '${run.name}' to appear in the Runs view`, 60_000, async () => ((await runRow(page, run.name).count()) > 0 ? true : undefined));
      metric('queued_to_row_ms', Date.now() - queuedAt);
      const done = await waitForRunState(page, run.name, 'Completed', 120_000);
      metric('queued_to_completed_shown_ms', done.seenAt - queuedAt);

      await runRow(page, run.name).hover();
      const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: `Host: ${WORKER}` }).first();
      await assert.doesNotReject(hover.waitFor({ state: 'visible', timeout: 15_000 }), `the run's tooltip names host ${WORKER}`);
      await page.mouse.move(0, 0);
    });
  });

  test('a stopped worker leaves the Workers view', async () => {
    await withDiagnostics(page, server, 'postgres-worker-gone', async () => {
      await expandPane(page, 'Workers');
      await until(page, `the Workers view to list ${WORKER}`, 30_000, async () => ((await rowByLabel(page, 'Workers', WORKER).count()) > 0 ? true : undefined));
      const stoppedAt = Date.now();
      await worker!.stop();
      // Its lease is 10 s and the view reads the list every 5 s: a minute is ample on a loaded machine.
      await until(page, `${WORKER} to leave the Workers view`, 60_000, async () => ((await workerRows(page)).some((r) => r.label === WORKER) ? undefined : true));
      metric('worker_stopped_to_gone_ms', Date.now() - stoppedAt);
    });
  });
});
