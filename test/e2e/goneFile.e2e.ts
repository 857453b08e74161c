/**
 * A run's flow file deleted after the run: the failure card's link to the line and Open Flow Source say the
 * file is not there any more, in words — not the editor's `cannot open vscode-remote://… Detail: Unable to
 * read file …` with the URL three times.
 *
 *   bash test/e2e/run.sh test/e2e/goneFile.e2e.ts
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { findWebviewFrame, openViewContainer, type CodeServer } from './lib/codeServer';
import { openRunFromPalette, withDiagnostics } from './lib/flowdeck';
import { closeScenario, openScenario, type Scenario } from './lib/scenario';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

describe('Flowdeck in code-server: a run whose flow file is gone', () => {
  let scenario: Scenario | undefined;
  let server: CodeServer;
  let page: Page;

  before(async () => {
    scenario = await openScenario('gone-file');
    ({ server, page } = scenario);
  });

  after(async () => {
    await closeScenario(scenario);
  });

  test('Go to Failure and Open Flow Source say the file is not there any more', { timeout: 120_000 }, async () => {
    await withDiagnostics(page, server, 'gone-file', async () => {
      const env = { ...process.env, FLOWDECK_HOME: scenario!.dirs.home };
      const ran = (() => {
        try {
          execFileSync(process.execPath, [CLI, 'run', 'failing.flow.ts'], { cwd: scenario!.dirs.workspace, env, timeout: 60_000, stdio: 'ignore' });
          return 0;
        } catch (e) {
          return (e as { status?: number }).status;
        }
      })();
      assert.equal(ran, 1, 'the run failed');
      const [run] = JSON.parse(execFileSync(process.execPath, [CLI, 'runs', '--json'], { env, encoding: 'utf8', timeout: 30_000 })) as { name: string }[];
      fs.rmSync(path.join(scenario!.dirs.workspace, 'failing.flow.ts'));

      await openViewContainer(page, 'Flowdeck');
      await openRunFromPalette(page, run!.name);
      const frame = await findWebviewFrame(page, '.run-header');
      await frame.locator('button.link.frame', { hasText: 'failing.flow.ts:7:9' }).click({ timeout: 20_000 });
      const notice = frame.locator('.notice.error').first();
      await notice.waitFor({ state: 'visible', timeout: 15_000 });
      const said = await notice.innerText();
      assert.match(said, /^failing\.flow\.ts is not there any more: it was moved, renamed or deleted since/);
      assert.doesNotMatch(said, /vscode-remote|Unable to read file/);
      await notice.locator('button[aria-label="Dismiss"]').click();

      await frame.locator('.run-header .actions button', { hasText: 'Open Flow Source' }).click({ timeout: 15_000 });
      const second = frame.locator('.notice.error').first();
      await second.waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(await second.innerText(), /^failing\.flow\.ts is not there any more/);
    });
  });
});
