/**
 * Schedules in a real VS Code: Schedule Flow… with an every-5-seconds interval makes scheduled runs that
 * complete while the window is open, and the flow's row says when it runs next (or that it is paused); a
 * failing scheduled run (added from the CLI to the same store) shows a notification with Show Logs, Retry
 * from Failure and Open Flow. A scheduled run of a flow with a flowRunName shows under the name it gives
 * once it is taken up.
 *
 *   bash test/e2e/run.sh test/e2e/schedules.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import type { FlowRunSummary } from '../../src/engine/records';
import { runCli } from '../support/engine';
import { openViewContainer, pickAfterCommand, pickQuickItem, quickInput, type CodeServer } from './lib/codeServer';
import { makeScenarioDirs, metric, paneRows, runRows, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

async function runsOf(home: string, flowName: string): Promise<FlowRunSummary[]> {
  const store = await EmbeddedStore.open(home, { readOnly: true });
  try {
    return await store.list({ flowNames: [flowName] });
  } finally {
    await store.close();
  }
}

async function scheduledRuns(home: string, flowName: string): Promise<FlowRunSummary[]> {
  return (await runsOf(home, flowName)).filter((r) => r.trigger?.kind === 'schedule');
}

/** The description of flow `flowName`'s row in the Flows view. */
async function flowDescription(page: Page, flowName: string): Promise<string | undefined> {
  return (await paneRows(page, 'Flows')).find((r) => r.label === flowName)?.description;
}

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Flowdeck in code-server: schedules', () => {
  let dirs: ReturnType<typeof makeScenarioDirs>;
  let server: CodeServer;
  let page: Page;
  let scenario: Scenario | undefined;

  before(async () => {
    scenario = await openScenario('schedules');
    ({ dirs, server, page } = scenario);
    await openViewContainer(page, 'Flowdeck');
  });

  after(() => closeScenario(scenario));

  test('Schedule Flow… every 5 seconds: scheduled runs appear and complete while the window is open', async () => {
    await withDiagnostics(page, server, 'schedules-add', async () => {
      await pickAfterCommand(page, 'Flowdeck: Schedule Flow…', 'hello');
      await pickQuickItem(page, 'Every… (interval)');
      const input = quickInput(page).locator('input');
      await input.fill('5s');
      // The next five times show before saving.
      await quickInput(page).getByText(/^Next: /).waitFor({ timeout: 15_000 });
      await input.press('Enter');
      await pickQuickItem(page, 'Default parameters');
      const savedAt = Date.now();
      await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Save Schedule' }).click({ timeout: 15_000 });
      const done = await until('two completed scheduled runs of hello', 120_000, async () => {
        const runs = (await scheduledRuns(dirs.home, 'hello')).filter((r) => r.state.name === 'Completed');
        return runs.length >= 2 ? runs : undefined;
      });
      metric('schedule_saved_to_second_completed_ms', Date.now() - savedAt);
      const slots = done.map((r) => (r.trigger as { slot: number }).slot);
      for (const slot of slots) assert.equal(slot % 5000, 0);
      assert.equal(new Set(slots).size, slots.length, 'one run per slot');
      const listed = JSON.parse((await runCli(['schedules', '--json'], { env: { FLOWDECK_HOME: dirs.home }, cwd: dirs.root })).stdout) as { id: string; flowName: string; intervalSeconds: number; origin: string }[];
      assert.deepEqual(listed.map((s) => [s.flowName, s.intervalSeconds, s.origin]), [['hello', 5, 'store']]);
      // The flow's own row says when it runs next, and that it is paused once it is (its row alone is
      // redrawn: flowsViewChanges.ts), and again when it runs next once resumed.
      await until("hello's row showing its next run", 15_000, async () => ((await flowDescription(page, 'hello'))?.match(/^next \d\d:\d\d$/) ? true : undefined));
      const cli = (args: string[]) => runCli(args, { env: { FLOWDECK_HOME: dirs.home }, cwd: dirs.root });
      assert.equal((await cli(['schedule', 'pause', listed[0]!.id])).code, 0);
      await until("hello's row saying its schedule is paused", 15_000, async () => ((await flowDescription(page, 'hello')) === 'schedule paused' ? true : undefined));
      assert.equal((await cli(['schedule', 'resume', listed[0]!.id])).code, 0);
      await until("hello's row showing its next run again", 15_000, async () => ((await flowDescription(page, 'hello'))?.match(/^next \d\d:\d\d$/) ? true : undefined));
    });
  });

  test('a failing scheduled run shows a notification with Show Logs, Retry from Failure and Open Flow', async () => {
    await withDiagnostics(page, server, 'schedules-notify', async () => {
      const added = await runCli(['schedule', 'add', path.join(dirs.workspace, 'failing.flow.ts'), '--every', '5s'], { env: { FLOWDECK_HOME: dirs.home }, cwd: dirs.workspace });
      assert.equal(added.code, 0, added.stderr);
      const toast = page.locator('.notification-toast').filter({ hasText: /Flow run '[a-z]+-[a-z]+' of failing \(scheduled for .+\) failed/ }).first();
      await toast.waitFor({ state: 'visible', timeout: 120_000 });
      for (const action of ['Show Logs', 'Retry from Failure', 'Open Flow']) {
        assert.equal(await toast.locator('.monaco-button', { hasText: action }).count(), 1, `the notification offers ${action}`);
      }
      assert.ok((await scheduledRuns(dirs.home, 'failing')).some((r) => r.state.name === 'Failed'));
    });
  });

  test("a scheduled run is named by its flow's flowRunName when taken up, and the Runs view shows it by that name", async () => {
    await withDiagnostics(page, server, 'schedules-named', async () => {
      const file = path.join(dirs.workspace, 'named.flow.ts');
      fs.writeFileSync(file, `import { flow } from 'flowdeck';\nexport default flow({ name: 'named', flowRunName: 'report-{day}' }, async ({ day }: { day: string }) => day);\n`);
      const cli = (args: string[]) => runCli(args, { env: { FLOWDECK_HOME: dirs.home }, cwd: dirs.workspace });
      const added = await cli(['schedule', 'add', file, '--every', '5s', '--param', 'day=mon']);
      assert.equal(added.code, 0, added.stderr);
      try {
        // A slot's run is created ahead under two random words; its row shows it waiting.
        const waiting = await until('a run of named waiting for its slot, shown in the Runs view', 90_000, async () => {
          const scheduled = (await scheduledRuns(dirs.home, 'named')).filter((r) => r.state.name === 'Scheduled');
          const labels = new Set((await runRows(page)).map((r) => r.label));
          return scheduled.find((r) => labels.has(r.name));
        });
        assert.match(waiting.name, /^[a-z]+-[a-z]+$/);
        // Taken up, it is named by its flowRunName, and the same row says so: no row keeps the old name.
        const run = await until(`run ${waiting.name} completed and its row relabelled`, 60_000, async () => {
          const now = (await runsOf(dirs.home, 'named')).find((r) => r.id === waiting.id);
          if (now?.state.name !== 'Completed') return undefined;
          const labels = (await runRows(page)).map((r) => r.label);
          return labels.includes(now.name) && !labels.includes(waiting.name) ? now : undefined;
        });
        assert.match(run.name, /^report-mon(-\d+)?$/, 'named by its flowRunName, numbered after the first');
        const logs = await cli(['logs', run.name]);
        assert.match(logs.stdout, new RegExp(`Flow run '${waiting.name}' is named '${run.name}' by its flow's flowRunName`));
      } finally {
        const listed = JSON.parse((await cli(['schedules', '--json'])).stdout) as { id: string; flowName: string }[];
        for (const sch of listed.filter((x) => x.flowName === 'named')) await cli(['schedule', 'rm', sch.id]);
      }
    });
  });
});
