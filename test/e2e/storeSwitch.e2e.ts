/**
 * The store the window uses changes under open panels: `flowdeck.home` pointed at another folder and back,
 * and at a file the store cannot live in. A run's details panel must not call its run deleted (it is in
 * the other store), and must come back whole when the setting points back; the dashboard must say why it
 * cannot show anything rather than read "Loading the dashboard…" for ever.
 *
 *   bash test/e2e/run.sh test/e2e/storeSwitch.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { findWebviewFrame, openViewContainer, runCommand, type CodeServer } from './lib/codeServer';
import { openRunFromPalette, runRows, sidebarPane, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

/** Polls `read` until `ok`; fails saying what was last seen. */
async function until<T>(page: Page, what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last seen ${JSON.stringify(value)}`);
    await page.waitForTimeout(200);
  }
}

describe('Flowdeck in code-server: the run store changed under open panels', () => {
  let scenario: Scenario | undefined;
  let server: CodeServer;
  let page: Page;
  let home: string;

  /** Writes flowdeck.home to the user's (and machine) settings, as the Settings editor would. */
  const setHome = (value: string) => {
    for (const scope of ['User', 'Machine']) {
      const file = path.join(server.userDataDir, scope, 'settings.json');
      const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      fs.writeFileSync(file, JSON.stringify({ ...settings, 'flowdeck.home': value }, null, 2));
    }
  };
  const tabs = () => page.locator('.tab').allInnerTexts();
  /** Hides the run's details behind another editor of its group, then shows them again (their webview starts empty). */
  const hideAndShow = async (name: string) => {
    await runCommand(page, 'File: New Untitled Text File');
    await page.locator('.tab', { hasText: `Run ${name}` }).first().click();
  };

  before(async () => {
    scenario = await openScenario('store-switch');
    ({ server, page } = scenario);
    home = scenario.dirs.home;
  });

  after(async () => {
    await closeScenario(scenario);
  });

  test("a run's details say it is in another store while flowdeck.home points elsewhere, not that it was deleted, and come back whole", { timeout: 120_000 }, async () => {
    await withDiagnostics(page, server, 'store-switch-details', async () => {
      execFileSync(process.execPath, [CLI, 'run', 'hello.flow.ts'], { cwd: scenario!.dirs.workspace, env: { ...process.env, FLOWDECK_HOME: home }, timeout: 60_000, stdio: 'ignore' });
      const [run] = JSON.parse(execFileSync(process.execPath, [CLI, 'runs', '--json'], { env: { ...process.env, FLOWDECK_HOME: home }, encoding: 'utf8', timeout: 30_000 })) as { name: string }[];
      const name = run!.name;
      await openViewContainer(page, 'Flowdeck');
      await openRunFromPalette(page, name);
      let frame = await findWebviewFrame(page, '.run-header');
      await until(page, 'the header shows the run Completed', () => frame.locator('.run-header').innerText(), (t) => /Completed/.test(t) && /Show Logs/.test(t));

      setHome(path.join(path.dirname(home), 'home-2'));
      await until(page, 'the tab says the run is not in this store', tabs, (t) => t.includes(`Run ${name} (not in this store)`));
      const away = await frame.locator('body').innerText();
      assert.doesNotMatch(away, /deleted/, 'the run was not deleted: it is in the other store');
      assert.match(away, /not in the run store now in use/);
      // The tab's title changes at once, the header a moment later (its pushes are throttled): waited for.
      await until(page, 'no action: each needs the run in the store in use', () => frame.locator('.run-header .actions button').count(), (n) => n === 0);
      // Hidden and shown again, the panel reads its run again: still not deleted, still in the other store.
      await hideAndShow(name);
      await until(page, 'shown again, it still says the run is not in the store in use', async () => (await findWebviewFrame(page, '.header-slot')).locator('body').innerText(), (t) => /not in the run store now in use/.test(t));
      assert.doesNotMatch(await (await findWebviewFrame(page, '.header-slot')).locator('body').innerText(), /deleted/);
      assert.ok((await tabs()).includes(`Run ${name} (not in this store)`));

      setHome(home);
      frame = await findWebviewFrame(page, '.header-slot');
      await until(page, 'the tab names the run alone again', tabs, (t) => t.includes(`Run ${name}`) && !t.some((x) => /\(/.test(x)));
      await until(page, 'the header is whole again, its actions back', () => frame.locator('.run-header').innerText(), (t) => /Show Logs/.test(t) && /Rerun/.test(t) && !/not in the run store|deleted/.test(t));
      await until(page, 'the logs read again from the store', () => frame.locator('body').innerText(), (t) => /Hello, Flowdeck!/.test(t));

      // The setting changed while the panel was hidden: shown again, it says so, not that the run was deleted.
      await runCommand(page, 'File: New Untitled Text File');
      setHome(path.join(path.dirname(home), 'home-2'));
      // The setting has reached the extension host when the Runs view shows the other store (it holds no run).
      await until(page, 'the Runs view on the other store, empty', () => runRows(page), (rows) => rows.length === 0);
      await page.locator('.tab', { hasText: `Run ${name}` }).first().click();
      await until(page, 'switched while hidden, it says the run is not in the store in use', async () => (await findWebviewFrame(page, '.header-slot')).locator('body').innerText(), (t) => /not in the run store now in use/.test(t));
      assert.doesNotMatch(await (await findWebviewFrame(page, '.header-slot')).locator('body').innerText(), /deleted/);
      await until(page, 'its tab says so too', tabs, (t) => t.includes(`Run ${name} (not in this store)`));
      setHome(home);
    });
  });

  test('the dashboard says why when the run store cannot be opened, instead of loading for ever', { timeout: 120_000 }, async () => {
    await withDiagnostics(page, server, 'store-switch-dashboard', async () => {
      const file = path.join(path.dirname(home), 'not-a-folder');
      fs.writeFileSync(file, 'x');
      setHome(file);
      // The setting has reached the extension host when the Runs view says the store cannot be opened.
      await until(page, 'the Runs view says the store cannot be opened', () => sidebarPane(page, 'Runs').locator('.message:visible').allInnerTexts(), (t) => /Could not open the run store/.test(t.join(' ')));
      await runCommand(page, 'Flowdeck: Open Dashboard');
      const frame = await findWebviewFrame(page, '#app');
      const text = await until(page, 'the dashboard says the store cannot be opened', () => frame.locator('#app').innerText(), (t) => /Could not open the run store/.test(t));
      assert.match(text, /it is a file, not a folder/);
      assert.match(text, /flowdeck\.home/, 'it names the setting to change');
    });
  });
});
