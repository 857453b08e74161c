/**
 * Flowdeck in a real VS Code (code-server 4.100.3), driven as a user would, in a trusted workspace that
 * holds the flow files of test/e2e/fixtures/workspace. One code-server for the whole file; the tests run
 * in order and later ones build on earlier runs (the dashboard charts the built-in runs made before it).
 *
 *   bash test/e2e/run.sh test/e2e/flowdeck.e2e.ts
 *
 * The built-in flows talk to loopback stand-ins of GitHub and Google (test/support/fake*.ts) through the
 * FLOWDECK_* variables, which the extension host inherits from code-server. Measured figures are printed
 * as `[e2e-metric] name=value` lines, not asserted.
 */
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import {
  clickInlineAction,
  launchBrowser,
  newPage,
  openViewContainer,
  openWorkbench,
  runCommand,
  screenshot,
  startCodeServer,
  waitForOutputChannel,
  webviewFrame,
  type CodeServer,
} from './lib/codeServer';
import {
  canvasInk,
  clearNotifications,
  flowRow,
  flowdeckVsix,
  hidePanel,
  linesOfRun,
  makeScenarioDirs,
  metric,
  parseShownNumber,
  PREFECT_LINE,
  runFlowFromTree,
  runRow,
  sidebarPane,
  waitForOutputLog,
  waitForRunState,
  widenSidebar,
  withDiagnostics,
} from './lib/flowdeck';
import { startFakeGitHub, type FakeGitHub } from '../support/fakeGitHub';
import { defaultFigures, startFakeGoogle, type FakeGoogle } from '../support/fakeGoogle';

const GITHUB_TOKEN = 'ghp_e2eTOKEN0123456789abcdefABCDEF';
const REPO = { fullName: 'PrefectHQ/prefect', stars: 4321, forks: 321, subscribers: 77, openIssues: 12, openPulls: 5 };
const CHANNEL = { id: 'UCe2eChannel0000000000001', title: 'Flowdeck E2E Channel', subscribers: 4321, views: 98_765, videos: 37 };
/** YouTube's data lags: the fake has figures up to three days ago, so the default range ends in gaps. */
const LAST_DATA_DAY = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);

describe('Flowdeck in code-server: trusted workspace', () => {
  let dirs: ReturnType<typeof makeScenarioDirs>;
  let gh: FakeGitHub;
  let google: FakeGoogle;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  /** Runs by flow, as the tests started them. */
  const runs: Record<string, string> = {};

  before(async () => {
    const vsix = flowdeckVsix();
    dirs = makeScenarioDirs('trusted');
    gh = await startFakeGitHub({ tokens: [GITHUB_TOKEN], repos: [REPO] });
    google = await startFakeGoogle({ lastDataDay: LAST_DATA_DAY, channel: CHANNEL });
    const t0 = Date.now();
    server = await startCodeServer({
      workspace: dirs.workspace,
      vsixPath: vsix,
      env: {
        FLOWDECK_HOME: dirs.home,
        FLOWDECK_GITHUB_API_URL: gh.url,
        // Not GITHUB_TOKEN: code-server takes it as its own --github-auth and deletes it from the environment
        // before the extension host starts, so the test gives the token the way a user does (Set GitHub Token).
        GITHUB_TOKEN: undefined,
        FLOWDECK_GOOGLE_API_URL: google.url,
        FLOWDECK_GOOGLE_TOKEN_URL: google.tokenUrl,
        FLOWDECK_GOOGLE_CLIENT_ID: google.clientId,
        FLOWDECK_GOOGLE_CLIENT_SECRET: google.clientSecret,
        FLOWDECK_YOUTUBE_REFRESH_TOKEN: google.issueRefreshToken(),
      },
    });
    browser = await launchBrowser();
    page = await newPage(browser);
    await openWorkbench(page, server.url);
    metric('code_server_to_workbench_ms', Date.now() - t0);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
    await gh?.close();
    await google?.close();
    if (dirs) fs.rmSync(dirs.root, { recursive: true, force: true });
  });

  test('the Flowdeck sidebar lists the built-in flows and the workspace flows; activation is logged', async () => {
    await withDiagnostics(page, server, 'sidebar', async () => {
      const t0 = Date.now();
      await openViewContainer(page, 'Flowdeck');
      await flowRow(page, 'github-repo-stats').waitFor({ state: 'visible', timeout: 30_000 });
      metric('activity_bar_click_to_flows_listed_ms', Date.now() - t0);
      await widenSidebar(page, 440); // for the screenshots: descriptions uncut
      for (const name of ['Built-in', 'github-repo-stats', 'youtube-channel-analytics', 'hello.flow.ts', 'hello', 'failing', 'ticker', 'sleeper']) {
        await assert.doesNotReject(flowRow(page, name).waitFor({ state: 'visible', timeout: 15_000 }), `Flows view shows ${name}`);
      }
      await sidebarPane(page, 'Runs').waitFor({ state: 'visible' });

      const activated = await waitForOutputLog(server, /Flowdeck activated in ([\d.]+) ms/);
      const ms = Number(/Flowdeck activated in ([\d.]+) ms/.exec(activated)![1]);
      assert.ok(ms >= 0, 'activation time logged');
      metric('activation_ms', ms);
    });
  });

  test('Run Flow on a workspace flow: Completed in the Runs view, its lines in the Flowdeck output channel', async () => {
    await withDiagnostics(page, server, 'hello', async () => {
      const { runName, clickedAt } = await runFlowFromTree(page, 'hello');
      runs.hello = runName;
      const done = await waitForRunState(page, runName, 'Completed', 60_000);
      metric('click_to_completed_ms', done.seenAt - clickedAt);
      assert.match(done.description, /^Completed · [\d.]+ (ms|s) · /);

      const text = await waitForOutputChannel(page, 'Flowdeck', `Flow run '${runName}' - Finished in state Completed()`, { timeoutMs: 30_000 });
      const lines = linesOfRun(text, runName, 'hello');
      assert.ok(lines.length >= 3, `the run's lines are in the output channel:\n${text}`);
      assert.match(lines[0]!, new RegExp(`\\| INFO +\\| flowdeck\\.engine - Created flow run '${runName}' for flow 'hello'$`));
      assert.ok(
        lines.some((l) => / \| INFO +\| Task run 'greet-0' - Hello, Flowdeck! \(from the e2e workspace\)$/.test(l)),
        `the flow's own log line:\n${lines.join('\n')}`,
      );
      assert.match(lines.at(-1)!, new RegExp(`\\| INFO +\\| Flow run '${runName}' - Finished in state Completed\\(\\)$`));
      for (const l of lines) assert.match(l, PREFECT_LINE);
      await screenshot(page, 'output-hello');
    });
  });

  test('github-repo-stats runs against the loopback GitHub with a token set through "Set GitHub Token"', async () => {
    await withDiagnostics(page, server, 'github', async () => {
      await runCommand(page, 'Flowdeck: Set GitHub Token');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal(await input.getAttribute('type'), 'password', 'the token box hides what is typed');
      await input.fill(GITHUB_TOKEN);
      await input.press('Enter');
      await assert.doesNotReject(
        page.locator('.notification-toast', { hasText: 'GitHub token saved' }).first().waitFor({ state: 'visible', timeout: 10_000 }),
        'the token is saved',
      );
      const before = gh.requests.length;
      const { runName } = await runFlowFromTree(page, 'github-repo-stats');
      runs.github = runName;
      await waitForRunState(page, runName, 'Completed', 90_000);
      const text = await waitForOutputChannel(page, 'Flowdeck', `Flow run '${runName}' - Finished in state Completed()`, { timeoutMs: 30_000 });
      const lines = linesOfRun(text, runName, 'github-repo-stats').join('\n');
      assert.match(lines, /PrefectHQ\/prefect repository statistics 📊:/);
      assert.match(lines, /Stars 🌟 : 4321/);
      assert.doesNotMatch(lines, /No GITHUB_TOKEN set/);
      assert.ok(!text.includes(GITHUB_TOKEN), 'the token never reaches the output channel');

      const ours = gh.requests.slice(before);
      assert.ok(ours.some((r) => r.path === '/repos/PrefectHQ/prefect' && r.status === 200), `GET /repos/PrefectHQ/prefect answered 200: ${JSON.stringify(ours.map((r) => [r.path, r.status]))}`);
      assert.ok(ours.every((r) => r.headers.authorization === `token ${GITHUB_TOKEN}` || r.headers.authorization === `Bearer ${GITHUB_TOKEN}`), 'every request carried the token');

      await clearNotifications(page);
      await runCommand(page, 'View: Toggle Maximized Panel');
      await page.waitForTimeout(300); // layout settles; only for the screenshot
      await screenshot(page, 'output');
      await runCommand(page, 'View: Toggle Maximized Panel');
    });
  });

  test('youtube-channel-analytics runs against the loopback Google with refresh-token credentials', async () => {
    await withDiagnostics(page, server, 'youtube', async () => {
      const before = google.requests.length;
      const { runName } = await runFlowFromTree(page, 'youtube-channel-analytics');
      runs.youtube = runName;
      await waitForRunState(page, runName, 'Completed', 90_000);
      const text = await waitForOutputChannel(page, 'Flowdeck', `Flow run '${runName}' - Finished in state Completed()`, { timeoutMs: 30_000 });
      const lines = linesOfRun(text, runName, 'youtube-channel-analytics').join('\n');
      assert.match(lines, /Day: \d{4}-\d{2}-\d{2}, Estimated Minutes Watched: -?\d+/);
      const ours = google.requests.slice(before);
      assert.ok(ours.some((r) => r.path.endsWith('/token') || r.form.grant_type === 'refresh_token'), 'the refresh token was exchanged');
      assert.ok(ours.some((r) => /reports/.test(r.path) && r.status === 200), `reports.query answered 200: ${JSON.stringify(ours.map((r) => [r.path, r.status]))}`);
    });
  });

  test('a failing flow ends Failed with its error', async () => {
    await withDiagnostics(page, server, 'failing', async () => {
      const { runName } = await runFlowFromTree(page, 'failing');
      runs.failing = runName;
      const failed = await waitForRunState(page, runName, 'Failed', 60_000);
      assert.match(failed.description, /^Failed · /);
      const text = await waitForOutputChannel(page, 'Flowdeck', `Flow run '${runName}' - Finished in state Failed(`, { timeoutMs: 30_000 });
      const lines = linesOfRun(text, runName, 'failing');
      assert.match(lines.at(-1)!, new RegExp(`\\| ERROR +\\| Flow run '${runName}' - Finished in state Failed\\('e2e failure on purpose: the reactor is out of coolant'\\)$`));

      // The row's tooltip carries the state and the message, as a user hovering it sees.
      await runRow(page, runName).hover();
      const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: 'the reactor is out of coolant' }).first();
      await assert.doesNotReject(hover.waitFor({ state: 'visible', timeout: 10_000 }), 'hover shows the error message');
      await page.mouse.move(700, 450);
    });
  });

  test('a long flow cancelled from the Runs view ends Cancelled', async () => {
    await withDiagnostics(page, server, 'cancel', async () => {
      const { runName } = await runFlowFromTree(page, 'sleeper');
      runs.sleeper = runName;
      await waitForRunState(page, runName, 'Running', 30_000);
      await waitForOutputLog(server, new RegExp(`Flow run '${runName}' - Sleeper started`));
      const t0 = Date.now();
      await clickInlineAction(runRow(page, runName), 'Cancel Run');
      await waitForRunState(page, runName, 'Cancelled', 30_000);
      metric('cancel_click_to_cancelled_ms', Date.now() - t0);
      const text = await waitForOutputChannel(page, 'Flowdeck', new RegExp(`Flow run '${runName}' - Finished in state Cancelled\\(`), { timeoutMs: 30_000 });
      const lines = linesOfRun(text, runName, 'sleeper').join('\n');
      assert.match(lines, /Sleeper saw the cancel signal/);
    });
  });

  test('Open Flow Source from a flow\'s context menu opens the file, with a Run Flow lens above the flow', async () => {
    await withDiagnostics(page, server, 'open-source', async () => {
      await hidePanel(page);
      await clearNotifications(page);
      await flowRow(page, 'hello').click({ button: 'right' });
      const item = page.locator('.monaco-menu .action-item', { hasText: /^Open Flow Source/ }).first();
      await item.waitFor({ state: 'visible', timeout: 10_000 });
      // VS Code's menus ignore a mouse-up too close to the one that opened them; the keyboard always works.
      await item.hover();
      await page.keyboard.press('Enter');
      await page.locator('.tab.active', { hasText: 'hello.flow.ts' }).waitFor({ state: 'visible', timeout: 15_000 });
      const lens = page.locator('.part.editor .codelens-decoration', { hasText: 'Run Flow' }).first();
      await assert.doesNotReject(lens.waitFor({ state: 'visible', timeout: 20_000 }), 'a Run Flow CodeLens above the flow');

      // The screenshot for the README: flows, runs in every end state (the GitHub run opened on its task runs).
      const github = runRow(page, runs.github!);
      if ((await github.getAttribute('aria-expanded')) !== 'true') await github.locator('.monaco-tl-twistie').click();
      await sidebarPane(page, 'Runs').locator('.monaco-list-row', { hasText: 'fetch-repo-0' }).first().waitFor({ state: 'visible', timeout: 10_000 });
      await page.mouse.move(900, 600);
      // Let the TypeScript server finish, so the screenshot shows the file checked (best effort).
      await page.locator('.part.statusbar', { hasText: 'Analyzing' }).waitFor({ state: 'hidden', timeout: 15_000 }).catch(() => undefined);
      assert.equal(await page.locator('.tab.active .label-name', { hasText: 'hello.flow.ts' }).count(), 1);
      await screenshot(page, 'sidebar');
    });
  });

  test('the dashboard draws the charts, shows the star count and YouTube totals, and streams live logs', async () => {
    await withDiagnostics(page, server, 'dashboard', async () => {
      assert.ok(runs.github && runs.youtube, 'the built-in runs of the earlier tests completed');
      // Close the panel and the editors so the dashboard gets the whole editor area.
      await hidePanel(page);
      await runCommand(page, 'View: Close All Editors');

      const t0 = await runCommand(page, 'Flowdeck: Open Dashboard');
      await page.locator('.tab', { hasText: 'Flowdeck Dashboard' }).first().waitFor({ state: 'visible', timeout: 15_000 });
      const frame = webviewFrame(page);
      let firstInkMs = -1;
      let inks: Awaited<ReturnType<typeof canvasInk>> = [];
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
        inks = await canvasInk(frame).catch(() => []);
        if (inks.length > 0 && inks.some((c) => c.inked > 0)) {
          firstInkMs = Date.now() - t0;
          break;
        }
        await page.waitForTimeout(25);
      }
      assert.ok(firstInkMs >= 0, `a chart canvas got pixels within 30 s (canvases: ${JSON.stringify(inks)})`);
      metric('dashboard_first_paint_ms', firstInkMs);

      // Charts: one star-history chart and one per YouTube metric, each with real ink (axes, labels, a line).
      const github = frame.locator('.card.github');
      const youtube = frame.locator('.card.youtube');
      await github.locator('canvas').first().waitFor({ state: 'visible', timeout: 15_000 });
      await youtube.locator('canvas').first().waitFor({ state: 'visible', timeout: 15_000 });
      await page.waitForTimeout(1200); // let chart.js finish its entry animation before judging the pixels
      for (const [section, selector, min] of [['GitHub', '.card.github canvas', 1], ['YouTube', '.card.youtube canvas', 4]] as const) {
        const drawn = await canvasInk(frame, selector);
        assert.ok(drawn.length >= min, `${section}: ${drawn.length} canvases, expected at least ${min}`);
        for (const c of drawn) {
          assert.ok(c.width > 50 && c.height > 50, `${section}: canvas has a size (${c.width}x${c.height})`);
          assert.ok(c.inked > 300 && c.colours >= 3, `${section}: canvas is drawn on (${JSON.stringify(c)})`);
        }
      }

      // Star count card.
      const stars = github.locator('.stat').filter({ has: frame.locator('.stat-label', { hasText: /^Stars$/ }) });
      assert.equal(parseShownNumber(await stars.locator('.stat-value').innerText()), REPO.stars);

      // YouTube totals: the range the flow asked the fake for, summed from the fake's figures.
      const report = [...google.requests].reverse().find((r) => /reports/.test(r.path) && r.query.startDate);
      assert.ok(report, 'the flow queried reports');
      const expected: Record<string, number> = { views: 0, estimatedMinutesWatched: 0 };
      for (let d = report!.query.startDate!; d <= report!.query.endDate! && d <= LAST_DATA_DAY; d = nextDay(d)) {
        const f = defaultFigures(d);
        expected.views! += f.views!;
        expected.estimatedMinutesWatched! += f.estimatedMinutesWatched!;
      }
      for (const [label, key] of [['Views', 'views'], ['Minutes watched', 'estimatedMinutesWatched']] as const) {
        const card = youtube.locator('.stat').filter({ has: frame.locator('.stat-label', { hasText: label }) }).first();
        const shown = parseShownNumber(await card.locator('.stat-value').innerText());
        assert.ok(Math.abs(shown - expected[key]!) <= expected[key]! * 0.005, `${label}: shows ${shown}, the figures sum to ${expected[key]}`);
      }
      const lifetime = await youtube.locator('.lifetime').innerText();
      assert.match(lifetime, /4,321\s+subscribers/);
      assert.match(lifetime, /98\.8K\s+lifetime views/);
      assert.match(lifetime, /37\s+videos/);

      // Live logs: start a slow flow (a line every 200 ms) and watch the pane's line count grow while it runs.
      const { runName } = await runFlowFromTree(page, 'ticker');
      runs.ticker = runName;
      await hidePanel(page);
      const title = frame.locator('.card.logs .section-title');
      await assert.doesNotReject(title.filter({ hasText: runName }).waitFor({ state: 'visible', timeout: 15_000 }), 'the log pane follows the new run');
      const samples: { lines: number; lastTick: number; at: number }[] = [];
      let shot = false;
      for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
        const counts = await frame.locator('.card.logs .log-counts').innerText().catch(() => '');
        const texts = await frame.locator('.card.logs .log-row:not([hidden]) .log-text').allInnerTexts().catch(() => [] as string[]);
        const ticks = texts.map((t) => Number(/tick (\d+) of 60/.exec(t)?.[1] ?? 0));
        const sample = { lines: parseShownNumber(counts) || 0, lastTick: Math.max(0, ...ticks), at: Date.now() };
        if (samples.length === 0 || sample.lines !== samples.at(-1)!.lines) samples.push(sample);
        if (sample.lastTick >= 60) break;
        if (!shot && sample.lastTick >= 25) {
          // The README's dashboard screenshot: a taller window shows the YouTube charts and the live logs too.
          shot = true;
          await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
          await page.setViewportSize({ width: 1400, height: 1280 });
          await page.waitForTimeout(700);
          await screenshot(page, 'dashboard');
          await page.setViewportSize({ width: 1400, height: 900 });
          await runCommand(page, 'View: Toggle Primary Side Bar Visibility');
        }
        await page.waitForTimeout(250);
      }
      const whileRunning = samples.filter((s) => s.lastTick > 0 && s.lastTick < 60);
      assert.ok(whileRunning.length >= 4, `the log pane grew while the run went on: ${JSON.stringify(samples)}`);
      for (let i = 1; i < whileRunning.length; i++) {
        assert.ok(whileRunning[i]!.lines > whileRunning[i - 1]!.lines && whileRunning[i]!.lastTick >= whileRunning[i - 1]!.lastTick, `monotonic growth: ${JSON.stringify(samples)}`);
      }
      assert.equal(samples.at(-1)!.lastTick, 60, `the last tick arrived: ${JSON.stringify(samples)}`);
      metric('live_log_samples_while_running', whileRunning.length);
      await waitForRunState(page, runName, 'Completed', 30_000);
    });
  });
});

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
