/**
 * One e2e scenario: a copy of the fixture workspace and a store of its own, a code-server on them with the
 * packaged extension, and a browser page on its workbench — opened in a suite's `before`, closed in its
 * `after` (also when opening failed halfway).
 */
import * as fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage, openWorkbench, startCodeServer, type CodeServer, type StartOptions } from './codeServer';
import { flowdeckVsix, makeScenarioDirs } from './flowdeck';

export interface Scenario {
  dirs: ReturnType<typeof makeScenarioDirs>;
  server: CodeServer;
  browser: Browser;
  page: Page;
}

/** What a scenario's code-server gets beyond the workspace and the extension; FLOWDECK_HOME is the scenario's store. */
export type ScenarioOptions = Omit<StartOptions, 'workspace' | 'vsixPath'>;

export async function openScenario(prefix: string, options: ScenarioOptions | ((dirs: Scenario['dirs']) => ScenarioOptions | Promise<ScenarioOptions>) = {}): Promise<Scenario> {
  const dirs = makeScenarioDirs(prefix);
  const opened: Partial<Scenario> = { dirs };
  try {
    const extra = typeof options === 'function' ? await options(dirs) : options;
    opened.server = await startCodeServer({ ...extra, workspace: dirs.workspace, vsixPath: flowdeckVsix(), env: { FLOWDECK_HOME: dirs.home, GITHUB_TOKEN: undefined, ...extra.env } });
    opened.browser = await launchBrowser();
    opened.page = await newPage(opened.browser);
    await openWorkbench(opened.page, opened.server.url);
    return opened as Scenario;
  } catch (error) {
    await closeScenario(opened);
    throw error;
  }
}

export async function closeScenario(scenario: Partial<Scenario> | undefined): Promise<void> {
  await scenario?.browser?.close().catch(() => undefined);
  await scenario?.server?.stop();
  if (scenario?.dirs) fs.rmSync(scenario.dirs.root, { recursive: true, force: true });
}
