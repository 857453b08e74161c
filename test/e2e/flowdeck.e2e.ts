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
  hoverTooltip,
  launchBrowser,
  newPage,
  openViewContainer,
  openWorkbench,
  quickInput,
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
  runRows,
  sidebarPane,
  waitForOutputLog,
  waitForRunState,
  widenSidebar,
  withDiagnostics,
} from './lib/flowdeck';
import { parse } from 'csv-parse/sync';
import { copiedText, inTallWindow, pngInk, PNG_SIGNATURE, saveThroughDialog, settledDigest, waitForAttribute, waitForInk } from './lib/dashboard';
import { startFakeGitHub, type FakeGitHub } from '../support/fakeGitHub';
import { DEFAULT_VIDEOS, defaultFigures, startFakeGoogle, type FakeGoogle } from '../support/fakeGoogle';

const GITHUB_TOKEN = 'ghp_e2eTOKEN0123456789abcdefABCDEF';
const DAY_MS = 86_400_000;
const daysAgo = (n: number): string => new Date(Date.now() - n * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
const REPO = {
  fullName: 'PrefectHQ/prefect',
  stars: 4321,
  forks: 321,
  subscribers: 77,
  openIssues: 12,
  openPulls: 5,
  releases: [
    { tag: '3.0.0', createdAt: daysAgo(200) },
    { tag: '3.1.0', createdAt: daysAgo(19) },
    { tag: '3.1.1', createdAt: daysAgo(8) },
    { tag: '3.2.0', createdAt: daysAgo(2), draft: true },
  ],
};
/** Repositories the star-history chart is compared with: one older and bigger (its history sampled), one younger. */
const ROCKET = { fullName: 'acme/rocket', stars: 12_000, starIntervalSeconds: 2 * 3600, forks: 800, releases: [{ tag: 'v2.0.0', createdAt: daysAgo(12) }] };
const COMET = { fullName: 'acme/comet', stars: 800, starIntervalSeconds: 12 * 3600, forks: 40 };
/** The fake channel's videos, published over the last weeks so the timeline has publications to mark. */
const VIDEOS = DEFAULT_VIDEOS.map((v, i) => ({ ...v, publishedAt: daysAgo(4 + i * 3) }));
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
    gh = await startFakeGitHub({ tokens: [GITHUB_TOKEN], repos: [REPO, ROCKET, COMET] });
    google = await startFakeGoogle({ lastDataDay: LAST_DATA_DAY, channel: CHANNEL, videos: VIDEOS });
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

  test('Run Flow on a flow that cannot run without a value asks for it (the form of Run Flow with Parameters), then runs with it', async () => {
    await withDiagnostics(page, server, 'run-flow-needs-value', async () => {
      const file = `${dirs.workspace}/guest.flow.ts`;
      fs.writeFileSync(file, GUEST_FLOW);
      try {
        const row = flowRow(page, 'guest');
        await row.waitFor({ state: 'visible', timeout: 30_000 });
        const before = new Set((await runRows(page)).map((r) => r.label));
        await clickInlineAction(row, 'Run Flow');
        const input = quickInput(page).locator('input');
        await quickInput(page).locator('.quick-input-title', { hasText: 'Run guest (1/1): who' }).waitFor({ state: 'visible', timeout: 15_000 });
        await input.fill('Ada');
        await input.press('Enter');
        let runName: string | undefined;
        const deadline = Date.now() + 30_000;
        while (!runName) {
          runName = (await runRows(page)).find((r) => r.label !== '' && !before.has(r.label) && !/^Load more/.test(r.label) && !/^\d[\d,]* runs? ·/.test(r.description))?.label;
          if (!runName && Date.now() > deadline) throw new Error('no new run appeared in the Runs view within 30 s of answering');
          if (!runName) await page.waitForTimeout(50);
        }
        await waitForRunState(page, runName, 'Completed', 60_000);
        await waitForOutputChannel(page, 'Flowdeck', `Flow run '${runName}' - Hello, Ada`, { timeoutMs: 30_000 });
      } finally {
        fs.rmSync(file, { force: true });
      }
      // Gone from the Flows view (redrawn whole, as a file went) before the next test clicks in it.
      await flowRow(page, 'guest').waitFor({ state: 'detached', timeout: 30_000 });
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

      // The row's tooltip carries the state, the message and the parameters (its journal's first record), as a
      // user hovering it sees.
      await hoverTooltip(page, runRow(page, runName), /the reactor is out of coolant[\s\S]*Parameters: none/);
    });
  });

  test('a long flow cancelled from the Runs view ends Cancelled', async () => {
    await withDiagnostics(page, server, 'cancel', async () => {
      const { runName } = await runFlowFromTree(page, 'sleeper');
      runs.sleeper = runName;
      await waitForRunState(page, runName, 'Running', 30_000);
      await waitForOutputLog(server, new RegExp(`Flow run '${runName}' - Sleeper started`));
      // The row redraws while its run goes (its duration ticks); VS Code's tree loses a click that straddles
      // a redraw, and a user whose click did nothing clicks again — so does the test, once, and counts it.
      let clicks = 0;
      let t0 = 0;
      for (;;) {
        t0 = Date.now();
        await clickInlineAction(runRow(page, runName), 'Cancel Run');
        clicks++;
        try {
          await waitForRunState(page, runName, 'Cancelled', clicks === 1 ? 15_000 : 30_000);
          break;
        } catch (error) {
          if (clicks >= 2 || !/never showed Cancelled .*last description: Running/.test(String(error))) throw error;
        }
      }
      metric('cancel_click_to_cancelled_ms', Date.now() - t0);
      metric('cancel_clicks', clicks);
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
      assert.equal(await page.locator('.tab.active', { hasText: 'hello.flow.ts' }).count(), 1, 'the flow file is still the active editor');
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
      for (const [section, selector, min] of [['GitHub', '.card.github canvas', 1], ['YouTube', '.card.youtube canvas', 4]] as const) {
        // Judged once chart.js has drawn them in (its entry animation; later on a loaded machine).
        const drawn = await waitForInk(page, frame, selector, (d) => d.length >= min && d.every((c) => c.width > 50 && c.height > 50 && c.inked > 300 && c.colours >= 3));
        assert.ok(drawn.length >= min, `${section}: ${drawn.length} canvases, expected at least ${min}`);
        for (const c of drawn) {
          assert.ok(c.width > 50 && c.height > 50, `${section}: canvas has a size (${c.width}x${c.height})`);
          assert.ok(c.inked > 300 && c.colours >= 3, `${section}: canvas is drawn on (${JSON.stringify(c)})`);
        }
      }

      // Star count card.
      const stars = github.locator('.stat').filter({ has: frame.locator('.stat-label', { hasText: /^Stars$/ }) });
      assert.equal(parseShownNumber(await stars.locator('.stat-value').innerText()), REPO.stars);

      // YouTube totals: the range the flow asked the fake for (its daily report, not the previous period's), summed from the fake's figures.
      const report = google.requests.filter((r) => /reports/.test(r.path) && r.query.dimensions === 'day').sort((a, b) => (a.query.startDate! < b.query.startDate! ? 1 : -1))[0];
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
      // The ticker needs 12 s; on a loaded machine its lines (and the screenshot below) take longer.
      for (const deadline = Date.now() + 45_000; Date.now() < deadline; ) {
        const counts = await frame.locator('.card.logs .log-counts').innerText().catch(() => '');
        const texts = await frame.locator('.card.logs .log-row:not([hidden]) .log-text').allInnerTexts().catch(() => [] as string[]);
        const ticks = texts.map((t) => Number(/tick (\d+) of 60/.exec(t)?.[1] ?? 0));
        const sample = { lines: parseShownNumber(counts) || 0, lastTick: Math.max(0, ...ticks), at: Date.now() };
        if (samples.length === 0 || sample.lines !== samples.at(-1)!.lines) samples.push(sample);
        if (sample.lastTick >= 60) break;
        // Only once the growth has been seen: on a loaded machine the screenshot can take as long as the run.
        if (!shot && sample.lastTick >= 25 && samples.filter((s) => s.lastTick > 0 && s.lastTick < 60).length >= 4) {
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

  test('the star-history chart compares three repositories, added from the dashboard; the log-scale toggle changes the axis', async () => {
    await withDiagnostics(page, server, 'compare', async () => {
      const frame = webviewFrame(page);
      const github = frame.locator('.card.github');
      const canvas = github.locator('.stars-card canvas');
      await canvas.waitFor({ state: 'visible', timeout: 15_000 });

      // A second run of the repository, after GitHub's counts moved: the cards show the changes and the
      // counts across runs get their second point.
      gh.setRepo({ ...REPO, forks: REPO.forks + 8, subscribers: REPO.subscribers + 3, openIssues: REPO.openIssues - 2, openPulls: REPO.openPulls + 2 });
      await frame.locator('.topbar').getByRole('button', { name: /Run github-repo-stats/ }).click();
      const across = github.locator('.chart-card', { has: frame.locator('.chart-name', { hasText: /^Across runs$/ }) }).locator('canvas');
      await across.waitFor({ state: 'visible', timeout: 60_000 });
      const forks = github.locator('.stat').filter({ has: frame.locator('.stat-label', { hasText: /^Forks$/ }) });
      assert.equal(await forks.locator('.delta').innerText(), '+8');
      const [counts] = await waitForInk(page, frame, '.card.github .chart-card:has(.chart-name:text-is("Across runs")) canvas', ([c]) => !!c && c.inked > 300);
      assert.ok(counts && counts.inked > 300, `the counts across runs are drawn: ${JSON.stringify(counts)}`);

      const started = gh.requests.length;
      for (const repo of [ROCKET.fullName, COMET.fullName]) {
        await github.getByRole('button', { name: 'Add repository…' }).click();
        const input = github.getByLabel('Repository to compare (owner/name)');
        await input.fill(repo);
        await input.press('Enter');
        // The dashboard runs github-repo-stats for a repository it has no run of, through the launcher.
        await assert.doesNotReject(frame.locator('.notice', { hasText: `for ${repo}` }).first().waitFor({ state: 'visible', timeout: 15_000 }), `a run was started for ${repo}`);
      }
      const label = await waitForAttribute(canvas, 'aria-label', /PrefectHQ\/prefect, acme\/(rocket|comet), acme\/(rocket|comet) on a linear scale/, 90_000);
      assert.match(label, /acme\/rocket/);
      assert.match(label, /acme\/comet/);
      assert.ok(gh.requests.slice(started).some((r) => r.path === '/repos/acme/rocket'), 'acme/rocket was fetched');
      // The charted repository stays charted while the runs for the others become the latest.
      assert.equal(await github.locator('.section-title a').innerText(), REPO.fullName);
      // Judged once the legend and lines are drawn, and the drawing holds still.
      const [linear] = await waitForInk(page, frame, '.card.github .stars-card canvas', ([c]) => !!c && c.inked > 1000 && c.colours >= 5);
      assert.ok(linear && linear.inked > 1000 && linear.colours >= 5, `three lines and a legend are drawn: ${JSON.stringify(linear)}`);
      const before = await settledDigest(page, frame, '.card.github .stars-card canvas');

      await github.getByLabel('Log scale').check();
      await waitForAttribute(canvas, 'aria-label', /on a logarithmic scale/, 15_000);
      const after = await settledDigest(page, frame, '.card.github .stars-card canvas', { from: before });
      assert.notEqual(after, before, 'the chart is redrawn with a logarithmic axis');
      metric('compared_repositories', 3);

      await inTallWindow(page, async () => {
        await github.evaluate((el: any) => el.scrollIntoView({ block: 'start' }));
        await dismissNotices(frame);
        await page.waitForTimeout(300);
        await screenshot(page, 'comparison');
      });
    });
  });

  test('Save as PNG writes the chart\'s pixels to the file picked in the save dialog', async () => {
    await withDiagnostics(page, server, 'export-png', async () => {
      const frame = webviewFrame(page);
      const card = frame.locator('.card.github .stars-card');
      const target = `${dirs.workspace}/star-history-export.png`;
      await card.getByRole('button', { name: 'Save as PNG' }).click();
      const png = await saveThroughDialog(page, target);
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'the file is a PNG');
      const ink = await pngInk(page, png);
      const shown = (await canvasInk(frame, '.card.github .stars-card canvas'))[0]!;
      assert.deepEqual([ink.width, ink.height], [shown.width, shown.height], 'the image has the canvas\'s size');
      assert.ok(ink.inked > 1000 && ink.colours >= 5, `the image holds the chart, not an empty background: ${JSON.stringify(ink)}`);
      await assert.doesNotReject(frame.locator('.notice', { hasText: `Saved ${target}` }).first().waitFor({ state: 'visible', timeout: 10_000 }));
      metric('exported_png_bytes', png.length);
    });
  });

  test('YouTube: the previous period in the cards and charts, top videos with links, and CSV that matches the figures', async () => {
    await withDiagnostics(page, server, 'youtube-compare', async () => {
      const frame = webviewFrame(page);
      const youtube = frame.locator('.card.youtube');
      const views = youtube.locator('.stat[data-metric="views"]');
      await views.waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(await views.locator('.stat-change').innerText(), /^[▲▼] [\d.,]+ %$|^±0 %$/, 'the views card shows the change against the previous period');
      const report = google.requests.filter((r) => /reports/.test(r.path) && r.query.dimensions === 'day').sort((a, b) => (a.query.startDate! < b.query.startDate! ? 1 : -1))[0]!;
      assert.ok(google.requests.some((r) => /reports/.test(r.path) && r.query.dimensions === 'day' && r.query.endDate! < report.query.startDate!), 'the previous period was asked for');

      const rows = youtube.locator('.top-videos tbody tr');
      assert.equal(await rows.count(), 10);
      const shownViews = (await youtube.locator('.top-videos tbody tr td:nth-child(4)').allInnerTexts()).map((t) => Number(t.replace(/,/g, '')));
      assert.deepEqual(shownViews, [...shownViews].sort((a, b) => b - a), 'sorted by views');
      const firstTitle = await rows.first().locator('a.video-link').innerText();
      assert.ok(VIDEOS.some((v) => v.title === firstTitle), `a title from videos.list: ${firstTitle}`);
      const href = await rows.first().locator('a.video-link').getAttribute('href');
      assert.match(href ?? '', /^https:\/\/www\.youtube\.com\/watch\?v=[A-Za-z0-9_-]{11}$/);

      // Copy as CSV of the Views chart: the clipboard holds the day-by-day figures the fake served.
      const viewsCard = youtube.locator('.chart-card', { has: frame.locator('.chart-name', { hasText: /^Views$/ }) });
      const csv = await copiedText(page, () => viewsCard.getByRole('button', { name: 'Copy as CSV' }).click(), (t) => t.startsWith('date,'));
      const table = parse(csv, { columns: true }) as Record<string, string>[];
      assert.ok(table.length >= 7, `a row per day: ${csv.slice(0, 200)}`);
      for (const row of table) {
        const expected = row.date! <= LAST_DATA_DAY ? String(defaultFigures(row.date!).views) : '';
        assert.equal(row.views, expected, `views on ${row.date}`);
      }

      await inTallWindow(page, async () => {
        await youtube.evaluate((el: any) => el.scrollIntoView({ block: 'start' }));
        await dismissNotices(frame);
        await page.waitForTimeout(300);
        await screenshot(page, 'previous-period');
        await youtube.locator('.top-videos').evaluate((el: any) => el.scrollIntoView({ block: 'start' }));
        await page.waitForTimeout(300);
        await screenshot(page, 'top-videos');
      });
    });
  });

  test('a date-range preset runs the flow for that range and charts it', async () => {
    await withDiagnostics(page, server, 'youtube-range', async () => {
      const frame = webviewFrame(page);
      const youtube = frame.locator('.card.youtube');
      const before = google.requests.length;
      await youtube.getByLabel('Date range').selectOption('last7');
      const started = frame.locator('.notice', { hasText: /Started run '.+' for \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/ }).first();
      await started.waitFor({ state: 'visible', timeout: 20_000 });
      const [, runName, startDate, endDate] = /Started run '(.+)' for (\S+) to (\S+);/.exec(await started.innerText())!;
      assert.equal((Date.parse(endDate!) - Date.parse(startDate!)) / DAY_MS + 1, 7, `a 7-day range: ${startDate} to ${endDate}`);
      await waitForRunState(page, runName!, 'Completed', 60_000);
      // The section charts the new run: its name in the run picker, the preset chosen, the charts drawn.
      const runPicker = youtube.getByLabel('YouTube run to chart');
      const deadline = Date.now() + 30_000;
      while (!(await runPicker.locator('option:checked').innerText().catch(() => '')).includes(runName!) || (await youtube.getByLabel('Date range').inputValue()) !== 'last7') {
        if (Date.now() > deadline) throw new Error(`the 7-day run ${runName} was never charted`);
        await page.waitForTimeout(250);
      }
      assert.ok((await youtube.locator('.chart-card canvas').count()) >= 4);
      const asked = google.requests.slice(before).filter((r) => /reports/.test(r.path) && r.query.dimensions === 'day').map((r) => `${r.query.startDate} ${r.query.endDate}`);
      assert.ok(asked.includes(`${startDate} ${endDate}`), `the range was asked for: ${asked.join(', ')}`);
    });
  });

  test('the log pane saves the shown run\'s whole log as a .log file', async () => {
    await withDiagnostics(page, server, 'export-log', async () => {
      const frame = webviewFrame(page);
      const logs = frame.locator('.card.logs');
      const runName = (await logs.locator('.section-title .title-detail').innerText()).trim();
      const target = `${dirs.workspace}/${runName}.log`;
      await logs.getByRole('button', { name: 'Save as .log' }).click();
      const text = (await saveThroughDialog(page, target)).toString('utf8');
      const lines = text.trimEnd().split('\n');
      assert.ok(lines.length >= 3, text);
      for (const line of lines.filter((l) => /^\d{2}:/.test(l))) assert.match(line, PREFECT_LINE);
      assert.match(text, new RegExp(`Flow run '${runName}' - Finished in state`));
    });
  });

  test("a flow file that doesn't parse shows as file:line:column with the error, and a click opens it there", async () => {
    await withDiagnostics(page, server, 'broken-file', async () => {
      await runCommand(page, 'View: Close All Editors');
      const file = `${dirs.workspace}/broken.flow.ts`;
      // Line 3, column 38: the parser stops at the stray `)`.
      fs.writeFileSync(file, "import { flow } from 'flowdeck';\n\nexport default flow({ name: 'broken' }, ) => 1);\n");
      try {
        const row = sidebarPane(page, 'Flows').locator('.monaco-list-row', { hasText: /broken\.flow\.ts:3:\d+/ }).first();
        await row.waitFor({ state: 'visible', timeout: 30_000 });
        const label = (await row.locator('.label-name').innerText()).trim();
        const column = Number(/:3:(\d+)$/.exec(label)?.[1]);
        assert.ok(column > 0, `a position in the label: ${label}`);
        assert.notEqual((await row.locator('.label-description').innerText()).trim(), '', 'the parser\'s message beside it');
        await row.locator('.label-name').click();
        await page.locator('.tab.active', { hasText: 'broken.flow.ts' }).waitFor({ state: 'visible', timeout: 15_000 });
        const status = page.locator('.part.statusbar');
        await status.locator('.statusbar-item', { hasText: `Ln 3, Col ${column}` }).first().waitFor({ state: 'visible', timeout: 15_000 });
      } finally {
        fs.rmSync(file, { force: true });
      }
      await sidebarPane(page, 'Flows').locator('.monaco-list-row', { hasText: /broken\.flow\.ts/ }).first().waitFor({ state: 'detached', timeout: 30_000 });
    });
  });
});

/** A flow that cannot run without a value: `who` is required and has no default. */
const GUEST_FLOW = `import { flow, getRunLogger } from 'flowdeck';
export default flow({ name: 'guest', parameters: { who: { type: 'string', required: true } } }, async ({ who }: { who: string }) => {
  getRunLogger().info(\`Hello, \${who}\`);
});
`;

/** Closes the dashboard's notices, so screenshots show the charts under them. */
async function dismissNotices(frame: ReturnType<typeof webviewFrame>): Promise<void> {
  const buttons = frame.locator('.notice .icon-button');
  for (let n = await buttons.count(); n > 0; n--) await buttons.first().click();
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
