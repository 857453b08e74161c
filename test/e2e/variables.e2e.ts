/**
 * Variables in a real VS Code: "Flowdeck: Variables…" lists the store's variables with their values, adds
 * one (its name and value checked as they are typed), changes one (its value offered as it is), a flow run
 * from the editor reads them, and its trash button deletes one. And the result cache: "Run Flow, Refreshing
 * Cache" runs a cached task again, "Flowdeck: Cached Results…" lists results by task and clears a task's.
 *
 *   bash test/e2e/run.sh test/e2e/variables.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { EmbeddedStore } from '../../src/engine/embeddedStore';
import { deserialize } from '../../src/engine/serializer';
import { answerBox, openViewContainer, pickAfterCommand, pickQuickItem, quickInput, runCommand, screenshot, type CodeServer } from './lib/codeServer';
import { flowRow, makeScenarioDirs, runFlowFromTree, runRows, waitForNewRun, waitForRunState, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

const WATCH_FLOW = `import { flow, getVariable } from 'flowdeck';

export default flow({ name: 'watch-repos' }, async () => {
  const repos = await getVariable('repos', [] as string[]);
  const minStars = await getVariable('min_stars', 10);
  return repos.length + ' repos, at least ' + minStars + ' stars';
});
`;

const STAMP_FLOW = `import { flow, task } from 'flowdeck';

const stamp = task({ name: 'stamp', cacheKey: () => 'today' }, async () => String(Math.random()));
export default flow({ name: 'a-stamp' }, async () => stamp());
`;

describe('Flowdeck in code-server: Variables', () => {
  let dirs: ReturnType<typeof makeScenarioDirs>;
  let server: CodeServer;
  let page: Page;
  let scenario: Scenario | undefined;

  before(async () => {
    scenario = await openScenario('variables', (d) => {
      fs.writeFileSync(path.join(d.workspace, 'a-watch.flow.ts'), WATCH_FLOW);
      fs.writeFileSync(path.join(d.workspace, 'a-stamp.flow.ts'), STAMP_FLOW);
      return {};
    });
    ({ dirs, server, page } = scenario);
  });

  after(() => closeScenario(scenario));

  const valueOf = async (name: string): Promise<unknown> => {
    const store = await EmbeddedStore.open(dirs.home, { readOnly: true });
    try {
      return (await store.variables.get(name))?.value;
    } finally {
      await store.close();
    }
  };

  test('Variables… lists them, adds one and changes one, checking names and values as they are typed; a flow reads them; one is deleted', async () => {
    await withDiagnostics(page, server, 'variables', async () => {
      const store = await EmbeddedStore.open(dirs.home);
      await store.variables.set('repos', ['octo/a']);
      await store.close();

      await openViewContainer(page, 'Flowdeck');
      await flowRow(page, 'hello').waitFor({ state: 'visible', timeout: 30_000 });
      // Add: a name that does not fit is said in the box; the value is JSON when it is JSON.
      await runCommand(page, 'Flowdeck: Variables…');
      const row = quickInput(page).locator('.monaco-list-row', { hasText: 'repos' }).first();
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(await row.innerText(), /\["octo\/a"\]/, 'each variable shows its value');
      await screenshot(page, 'variables-list');
      await pickQuickItem(page, 'Add Variable…');
      await answerBox(page, 'Add Variable: name', 'min_stars', { text: 'Min Stars', message: /Not a variable name/ });
      await answerBox(page, "Variable 'min_stars': value", '100');
      await page.locator('.notification-toast', { hasText: "Variable 'min_stars' set to 100." }).first().waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(await valueOf('min_stars'), 100);

      // Change: the box offers the value as it is.
      await pickAfterCommand(page, 'Flowdeck: Variables…', 'repos');
      const box = quickInput(page);
      await box.locator('.quick-input-title', { hasText: "Variable 'repos': value" }).waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(await box.locator('input').inputValue(), '["octo/a"]');
      await answerBox(page, "Variable 'repos': value", '["octo/a", "octo/b", "octo/c"]');
      await page.locator('.notification-toast', { hasText: "Variable 'repos' set to" }).first().waitFor({ state: 'visible', timeout: 15_000 });
      assert.deepEqual(await valueOf('repos'), ['octo/a', 'octo/b', 'octo/c']);

      // A flow run from the editor reads them.
      const { runName } = await runFlowFromTree(page, 'watch-repos');
      await waitForRunState(page, runName, 'Completed', 90_000);
      const reader = await EmbeddedStore.open(dirs.home, { readOnly: true });
      const run = (await reader.list()).find((r) => r.name === runName)!;
      const detail = (await reader.readRun(run.id))!;
      await reader.close();
      assert.equal(detail.result ? deserialize(detail.result.dv) : undefined, '3 repos, at least 100 stars');

      // Delete: the row's trash button, then the dialog's Delete; the list stays open and no longer has it.
      await runCommand(page, 'Flowdeck: Variables…');
      const doomed = quickInput(page).locator('.monaco-list-row', { hasText: 'min_stars' }).first();
      await doomed.waitFor({ state: 'visible', timeout: 15_000 });
      await doomed.hover();
      await doomed.locator('[aria-label="Delete Variable"]').first().click();
      const dialog = page.locator('.monaco-dialog-box', { hasText: "Delete variable 'min_stars'?" });
      await dialog.waitFor({ state: 'visible', timeout: 15_000 });
      await dialog.locator('.monaco-button', { hasText: 'Delete' }).click();
      await quickInput(page).locator('.monaco-list-row', { hasText: 'min_stars' }).waitFor({ state: 'detached', timeout: 15_000 });
      await quickInput(page).locator('.monaco-list-row', { hasText: 'repos' }).first().waitFor({ state: 'visible', timeout: 15_000 });
      assert.equal(await valueOf('min_stars'), undefined);
      await page.keyboard.press('Escape');
    });
  });

  test('Run Flow, Refreshing Cache runs a cached task again; Cached Results… lists results by task and clears a task\'s', async () => {
    await withDiagnostics(page, server, 'cached-results', async () => {
      const runOf = async (runName: string) => {
        const reader = await EmbeddedStore.open(dirs.home, { readOnly: true });
        try {
          const run = (await reader.list()).find((r) => r.name === runName)!;
          return (await reader.readRun(run.id))!;
        } finally {
          await reader.close();
        }
      };
      await openViewContainer(page, 'Flowdeck');
      const first = await runFlowFromTree(page, 'a-stamp');
      await waitForRunState(page, first.runName, 'Completed', 90_000);
      const cached = await runFlowFromTree(page, 'a-stamp');
      await waitForRunState(page, cached.runName, 'Completed', 90_000);
      assert.equal((await runOf(cached.runName)).taskRuns[0]?.state.name, 'Cached');

      // From the palette: it asks which flow, then runs it refreshing the cache.
      const before = new Set((await runRows(page)).map((r) => r.label));
      await pickAfterCommand(page, 'Flowdeck: Run Flow, Refreshing Cache', 'a-stamp');
      const refreshedName = await waitForNewRun(page, before, Date.now() + 60_000, 'Run Flow, Refreshing Cache');
      await waitForRunState(page, refreshedName, 'Completed', 90_000);
      const refreshed = await runOf(refreshedName);
      assert.equal(refreshed.refreshCache, true);
      assert.equal(refreshed.taskRuns[0]?.state.name, 'Completed', 'the cached task ran');
      const firstValue = deserialize((await runOf(first.runName)).result!.dv);
      assert.notEqual(deserialize(refreshed.result!.dv), firstValue);

      // Cached Results…: a row per task; its trash button clears it after asking.
      await runCommand(page, 'Flowdeck: Cached Results…');
      const row = quickInput(page).locator('.monaco-list-row', { hasText: 'stamp' }).first();
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(await row.innerText(), /1 result · \d+ bytes/);
      await screenshot(page, 'cached-results');
      await row.hover();
      await row.locator('[aria-label="Clear This Task\'s Cached Results"]').first().click();
      const dialog = page.locator('.monaco-dialog-box', { hasText: "Clear the cached results of task 'stamp'?" });
      await dialog.waitFor({ state: 'visible', timeout: 15_000 });
      await dialog.locator('.monaco-button', { hasText: 'Clear' }).click();
      await quickInput(page).locator('.monaco-list-row', { hasText: 'stamp' }).waitFor({ state: 'detached', timeout: 15_000 });
      await quickInput(page).locator('input[placeholder^="No cached results."]').waitFor({ state: 'attached', timeout: 15_000 });
      await page.keyboard.press('Escape');
      const store = await EmbeddedStore.open(dirs.home, { readOnly: true });
      try {
        assert.deepEqual(await store.cache.entries(), []);
      } finally {
        await store.close();
      }
    });
  });
});
