/**
 * A Postgres store in a real VS Code: with `flowdeck.store` set to a postgres:// URL, the Workers view
 * lists a live `flowdeck worker` (another process, its own host name); a run queued from the CLI appears
 * in the Runs view live, is run by that worker to Completed, and its tooltip names the worker's host; "Run
 * on Workers…" queues a run from the editor that the worker completes (asking first for the parameters a
 * flow cannot run without); "Retry on Workers…" has the worker resume a run that failed in a terminal; the
 * editor's connection cut (it
 * reaches Postgres through a forwarder of this test's) shows a status bar warning while the views keep
 * their rows, and restored, the warning goes; the worker, stopped, leaves the Workers view.
 *
 *   export FLOWDECK_TEST_PG_URL=$(bash test/support/pg-up.sh | tail -n 1)
 *   bash test/e2e/run.sh test/e2e/postgres.e2e.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { PgStore } from '../../src/engine/postgres/pgStore';
import { runCli, tempDir } from '../support/engine';
import { startForwarder, type Forwarder } from '../support/forwarder';
import { startWorker, type WorkerProc } from '../support/workers';
import { PG_SKIP, freshSchema, pgUrl } from '../support/postgres';
import { hoverTooltip, openViewContainer, pickAfterCommand, pickQuickItem, quickInput, runCommand, type CodeServer } from './lib/codeServer';
import { clearNotifications, metric, paneRows, rowByLabel, runRow, sidebarPane, waitForRunState, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

const WORKER = 'e2e-worker-1';

/** A flow that cannot run without a value: `who` is required and has no default. */
const GREET_FLOW = `import { flow } from 'flowdeck';
export default flow({ name: 'greet', parameters: { who: { type: 'string', required: true } } }, async ({ who }: { who: string }) => \`Hello \${who}\`);
`;

/** A flow whose load step fails until file `fixed` exists; its extract step completes either way. */
const FLAKY_FLOW = (fixed: string): string => `import { flow, task } from 'flowdeck';
import { existsSync } from 'node:fs';
const extract = task({ name: 'extract' }, async () => [1, 2, 3]);
const load = task({ name: 'load' }, async (rows: number[]) => {
  if (!existsSync(${JSON.stringify(fixed)})) throw new Error('warehouse down');
  return rows.length;
});
export default flow({ name: 'flaky' }, async () => load(await extract()));
`;

/** Expands a side-bar pane (a view of the Flowdeck container) if it is collapsed. */
async function expandPane(page: Page, title: string): Promise<void> {
  const header = sidebarPane(page, title).locator('.pane-header');
  await header.waitFor({ state: 'visible', timeout: 30_000 });
  if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
}

const workerRows = (page: Page) => paneRows(page, 'Workers');

/** The message a view shows above its rows (empty when none). */
const viewMessage = async (page: Page, title: string): Promise<string> => ((await sidebarPane(page, title).locator('.message:visible').allInnerTexts()).join(' ').trim());

const storeWarning = (page: Page) => page.locator('.part.statusbar .statusbar-item').filter({ hasText: 'Flowdeck store unreachable' });

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
  /** The editor's way to Postgres, which a test cuts. */
  let forwarder: Forwarder | undefined;
  const schema = PG_SKIP ? '' : freshSchema();
  const storeEnv = (): NodeJS.ProcessEnv => ({ FLOWDECK_STORE: pgUrl(), FLOWDECK_STORE_SCHEMA: schema });

  before(async () => {
    forwarder = await startForwarder('127.0.0.1', Number(new URL(pgUrl()).port));
    scenario = await openScenario('postgres', {
      settings: { 'flowdeck.store': forwarder.url(pgUrl()) },
      // The setting names the database; the schema of this run comes from the environment, as for the CLI.
      // A lease longer than any cut below: the editor keeps its lease, so only the connection is tested.
      env: { FLOWDECK_STORE_SCHEMA: schema, FLOWDECK_LEASE_SECONDS: '300' },
    });
    ({ server, page } = scenario);
    workspace = scenario.dirs.workspace;
    worker = await startWorker({ url: pgUrl(), schema, name: WORKER, flowsDir: workspace, concurrency: 2, heartbeatSeconds: 1, leaseSeconds: 10 });
    await openViewContainer(page, 'Flowdeck');
  });

  after(async () => {
    await worker?.stop();
    await closeScenario(scenario);
    await forwarder?.close();
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

      metric('tooltip_hovers', await hoverTooltip(page, runRow(page, run.name), `Host: ${WORKER}`));
    });
  });

  test('Run on Workers… queues a run from the editor; the worker completes it and the Runs view shows Completed', async () => {
    await withDiagnostics(page, server, 'postgres-run-on-workers', async () => {
      await expandPane(page, 'Runs');
      await clearNotifications(page);
      await pickAfterCommand(page, 'Flowdeck: Run on Workers…', 'hello');
      const queue = quickInput(page).locator('input');
      await queue.waitFor({ state: 'visible', timeout: 15_000 });
      await until(page, 'the queue input to offer the default queue', 15_000, async () => ((await queue.inputValue()) === 'default' ? true : undefined));
      const queuedAt = Date.now();
      await queue.press('Enter');
      const toast = page.locator('.notification-toast').filter({ hasText: /Queued flow run '[a-z]+-[a-z]+' on queue 'default'/ }).first();
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      const name = /Queued flow run '([a-z]+-[a-z]+)'/.exec(await toast.innerText())![1]!;
      const done = await waitForRunState(page, name, 'Completed', 120_000);
      metric('run_on_workers_to_completed_shown_ms', done.seenAt - queuedAt);
      const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
      try {
        const { run } = await store.resolve(name);
        assert.deepEqual([run?.flowName, run?.state.name, run?.owner.hostname], ['hello', 'Completed', WORKER], 'the worker ran it');
      } finally {
        await store.close();
      }
    });
  });

  test('Run on Workers… asks for the parameters a flow needs (a required one without a default) before queuing; the worker runs it with them', async () => {
    await withDiagnostics(page, server, 'postgres-run-on-workers-parameters', async () => {
      fs.writeFileSync(path.join(workspace, 'greet.flow.ts'), GREET_FLOW);
      await expandPane(page, 'Runs');
      await clearNotifications(page);
      // A new file is offered once the editor has read it: the picker is opened again until it is.
      await until(page, "the flow picker to offer 'greet'", 60_000, async () => {
        await runCommand(page, 'Flowdeck: Run on Workers…');
        try {
          await pickQuickItem(page, 'greet', { timeoutMs: 3_000 });
          return true;
        } catch {
          await page.keyboard.press('Escape');
          return undefined;
        }
      });
      const input = quickInput(page).locator('input');
      const title = quickInput(page).locator('.quick-input-title');
      await until(page, 'the queue input', 15_000, async () => ((await input.inputValue().catch(() => '')) === 'default' ? true : undefined));
      await input.press('Enter');
      // Without a value for `who` the worker would refuse the run: it is asked for, in the same form as Run Flow with Parameters.
      await until(page, "the prompt for 'who'", 15_000, async () => ((await title.innerText().catch(() => '')).includes('Run greet (1/1): who') ? true : undefined));
      await input.fill('Ada');
      await input.press('Enter');
      const toast = page.locator('.notification-toast').filter({ hasText: /Queued flow run '[a-z]+-[a-z]+' on queue 'default'/ }).first();
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      const name = /Queued flow run '([a-z]+-[a-z]+)'/.exec(await toast.innerText())![1]!;
      await waitForRunState(page, name, 'Completed', 120_000);
      const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
      try {
        const { run } = await store.resolve(name);
        const detail = (await store.readRun(run!.id))!;
        assert.deepEqual([detail.flowName, detail.parameters, detail.state.name], ['greet', { who: 'Ada' }, 'Completed']);
      } finally {
        await store.close();
      }
    });
  });

  test('Retry on Workers… on a run that failed in a terminal: a worker resumes it from its checkpoints and the Runs view shows it Completed', async () => {
    await withDiagnostics(page, server, 'postgres-retry-on-workers', async () => {
      const fixed = path.join(tempDir('flowdeck-e2e-fixed-'), 'fixed');
      fs.writeFileSync(path.join(workspace, 'flaky.flow.ts'), FLAKY_FLOW(fixed));
      await expandPane(page, 'Runs');
      await clearNotifications(page);
      const failed = await runCli(['run', 'flaky.flow.ts', '--json'], { env: { ...storeEnv(), FLOWDECK_HOME: tempDir('flowdeck-e2e-cli-') }, cwd: workspace });
      assert.equal(failed.code, 1, failed.stderr);
      const run = JSON.parse(failed.stdout) as { id: string; name: string };
      await waitForRunState(page, run.name, 'Failed', 60_000);
      fs.writeFileSync(fixed, '');
      await runRow(page, run.name).click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-item', { hasText: /^Retry on Workers/ }).first();
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      await item.hover();
      await page.keyboard.press('Enter');
      const queue = quickInput(page).locator('input');
      await until(page, 'the queue input', 15_000, async () => ((await queue.inputValue().catch(() => '')) === 'default' ? true : undefined));
      const sentAt = Date.now();
      await queue.press('Enter');
      await page.locator('.notification-toast').filter({ hasText: `Flow run '${run.name}' goes back to queue 'default'` }).first().waitFor({ state: 'visible', timeout: 30_000 });
      // Failed until the worker takes it up (the row shows the attempt before meanwhile), then Completed.
      await until(page, `run '${run.name}' to show Completed`, 120_000, async () => ((await paneRows(page, 'Runs')).some((r) => r.label === run.name && r.description.startsWith('Completed')) ? true : undefined));
      metric('retry_on_workers_to_completed_shown_ms', Date.now() - sentAt);
      const store = await PgStore.open(pgUrl(), { home: tempDir(), schema, readOnly: true });
      try {
        const detail = (await store.readRun(run.id))!;
        assert.deepEqual([detail.state.name, detail.attempt, detail.owner.hostname], ['Completed', 2, WORKER], 'the worker ran its second attempt');
        assert.ok(detail.taskRuns.some((t) => t.name.startsWith('extract') && t.reusedFrom), 'the completed extract was reused, not run again');
      } finally {
        await store.close();
      }
    });
  });

  test("the editor's connection cut: a status bar warning, the views keep their rows; back, the warning goes and the views read again", async () => {
    await withDiagnostics(page, server, 'postgres-connection-lost', async () => {
      await expandPane(page, 'Runs');
      await expandPane(page, 'Workers');
      const runsBefore = (await paneRows(page, 'Runs')).map((r) => r.label);
      assert.ok(runsBefore.length > 0, 'the Runs view lists runs before the cut');
      await until(page, `the Workers view to list ${WORKER}`, 30_000, async () => ((await rowByLabel(page, 'Workers', WORKER).count()) > 0 ? true : undefined));
      const cutAt = Date.now();
      forwarder!.cut();
      try {
        await storeWarning(page).first().waitFor({ state: 'visible', timeout: 60_000 });
        metric('connection_cut_to_warning_ms', Date.now() - cutAt);
        // Read again while the store is out of reach: the reads fail, say so, and the rows stay.
        await runCommand(page, 'Flowdeck: Refresh Runs');
        const message = await until(page, 'the Runs view to say it could not read the store', 60_000, async () => (await viewMessage(page, 'Runs')) || undefined);
        assert.deepEqual((await paneRows(page, 'Runs')).map((r) => r.label), runsBefore, `the Runs view keeps its rows (message: ${message})`);
        await until(page, 'the Workers view to say it could not list workers', 60_000, async () => (/Could not list workers/.test(await viewMessage(page, 'Workers')) ? true : undefined));
        assert.ok((await rowByLabel(page, 'Workers', WORKER).count()) > 0, 'the Workers view keeps its row');
        assert.ok(await storeWarning(page).first().isVisible(), 'the warning stays while the store is out of reach');
      } finally {
        forwarder!.restore();
      }
      const restoredAt = Date.now();
      // The feed reconnects with a growing pause (at most 30 s).
      await until(page, 'the status bar warning to go', 90_000, async () => ((await storeWarning(page).count()) === 0 || !(await storeWarning(page).first().isVisible()) ? true : undefined));
      metric('connection_back_to_warning_gone_ms', Date.now() - restoredAt);
      await until(page, 'the Runs view to read the store again (its message gone)', 60_000, async () => ((await viewMessage(page, 'Runs')) === '' ? true : undefined));
      const runsAfter = (await paneRows(page, 'Runs')).map((r) => r.label);
      for (const label of runsBefore) assert.ok(runsAfter.includes(label), `${label} is still listed: ${runsAfter.join(', ')}`);
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
