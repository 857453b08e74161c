/**
 * Browser check of the dashboard webview: bundles src/webview/main.ts as the build does, serves it on
 * 127.0.0.1 inside the real dashboardHtml page (real CSP) with a stubbed acquireVsCodeApi, drives it in
 * Chromium, and reports bundle size, paint and log timings, CSP violations and console errors.
 *
 *   node --import tsx test/webview/harness/run.ts [--out <dir>] [--chromium /usr/bin/chromium]
 *
 * Screenshots go to test-results/dashboard/ by default. Not a node:test file: it needs a browser.
 */
import * as esbuild from 'esbuild';
import { mkdtemp, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { buildDashboardModel } from '../../../src/extension/dashboard/model';
import { nextSelection } from '../../../src/extension/dashboard/selection';
import { dashboardHtml, makeNonce } from '../../../src/extension/dashboard/html';
import { parseWebviewMessage, type DashboardModel, type HostToWebview } from '../../../src/webview/protocol';
import { githubResult, sampleLogLines, sampleResults, sampleRuns } from './sample';

/**
 * What the callbacks passed to page.evaluate touch in the page. Declared in this module only: the root
 * tsconfig has no DOM lib, and a `/// <reference lib="dom" />` here would give DOM types to every file.
 */
interface PageElement {
  scrollTop: number;
  readonly clientHeight: number;
  readonly scrollHeight: number;
  readonly textContent: string | null;
  hidden: boolean;
  innerHTML: string;
  append(node: PageElement): void;
}
declare const document: {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): { length: number };
  createElement(tag: string): PageElement;
  body: PageElement;
};
declare const window: {
  /** Filled by the stub script (see stubScript). */
  __csp: string[];
  __posted: unknown[];
  __lines: unknown[];
  __readyAt?: number;
  __state(): unknown;
  __setTheme(name: string, themes: unknown): void;
  dispatchEvent(event: unknown): boolean;
  addEventListener(type: string, listener: (event: unknown) => void, options?: { once: boolean }): void;
  postMessage(message: unknown, targetOrigin: string): void;
};
declare function requestAnimationFrame(callback: (time: number) => void): number;

const ROOT = resolve(__dirname, '../../..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? args[at + 1]! : fallback;
};
const OUT = resolve(ROOT, option('--out', 'test-results/dashboard'));
const CHROMIUM = option('--chromium', '/usr/bin/chromium');
const LOG_LINES = 100_000;

/** A subset of VS Code's Dark Modern / Light Modern / High Contrast variables, enough to exercise the CSS. */
const THEMES: Record<string, { bodyClass: string; vars: Record<string, string> }> = {
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe UI", Ubuntu, "Droid Sans", sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
      '--vscode-editor-font-size': '12px',
      '--vscode-foreground': '#cccccc',
      '--vscode-descriptionForeground': '#9d9d9d',
      '--vscode-editor-background': '#1f1f1f',
      '--vscode-editorWidget-background': '#202020',
      '--vscode-sideBar-background': '#181818',
      '--vscode-widget-border': '#313131',
      '--vscode-panel-border': '#2b2b2b',
      '--vscode-focusBorder': '#0078d4',
      '--vscode-button-background': '#0078d4',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#026ec1',
      '--vscode-button-border': 'rgba(255, 255, 255, 0.07)',
      '--vscode-button-secondaryBackground': '#313131',
      '--vscode-button-secondaryForeground': '#cccccc',
      '--vscode-button-secondaryHoverBackground': '#3c3c3c',
      '--vscode-dropdown-background': '#313131',
      '--vscode-dropdown-foreground': '#cccccc',
      '--vscode-dropdown-border': '#3c3c3c',
      '--vscode-badge-background': '#616161',
      '--vscode-badge-foreground': '#f8f8f8',
      '--vscode-textLink-foreground': '#4daafc',
      '--vscode-textLink-activeForeground': '#4daafc',
      '--vscode-list-hoverBackground': '#2a2d2e',
      '--vscode-list-inactiveSelectionBackground': '#37373d',
      '--vscode-errorForeground': '#f85149',
      '--vscode-editorWarning-foreground': '#cca700',
      '--vscode-inputValidation-errorBackground': '#5a1d1d',
      '--vscode-textBlockQuote-background': '#2b2b2b',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.36)',
      '--vscode-terminal-background': '#181818',
      '--vscode-charts-foreground': '#cccccc',
      '--vscode-charts-lines': 'rgba(204, 204, 204, 0.5)',
      '--vscode-charts-red': '#f14c4c',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-yellow': '#cca700',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
    },
  },
  light: {
    bodyClass: 'vscode-light',
    vars: {
      '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe UI", Ubuntu, "Droid Sans", sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
      '--vscode-editor-font-size': '12px',
      '--vscode-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-editor-background': '#ffffff',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-sideBar-background': '#f8f8f8',
      '--vscode-widget-border': '#e5e5e5',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-border': 'rgba(0, 0, 0, 0.1)',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-secondaryHoverBackground': '#cccccc',
      '--vscode-dropdown-background': '#ffffff',
      '--vscode-dropdown-foreground': '#3b3b3b',
      '--vscode-dropdown-border': '#cecece',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-textLink-foreground': '#005fb8',
      '--vscode-textLink-activeForeground': '#005fb8',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-list-inactiveSelectionBackground': '#e4e6f1',
      '--vscode-errorForeground': '#f85149',
      '--vscode-editorWarning-foreground': '#bf8803',
      '--vscode-inputValidation-errorBackground': '#f2dede',
      '--vscode-textBlockQuote-background': '#f8f8f8',
      '--vscode-widget-shadow': 'rgba(0, 0, 0, 0.16)',
      '--vscode-terminal-background': '#f8f8f8',
      '--vscode-charts-foreground': '#3b3b3b',
      '--vscode-charts-lines': 'rgba(59, 59, 59, 0.5)',
      '--vscode-charts-red': '#e51400',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-yellow': '#bf8803',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#388a34',
      '--vscode-charts-purple': '#652d90',
    },
  },
  hc: {
    bodyClass: 'vscode-high-contrast',
    vars: {
      '--vscode-font-family': '-apple-system, BlinkMacSystemFont, "Segoe UI", Ubuntu, "Droid Sans", sans-serif',
      '--vscode-font-size': '13px',
      '--vscode-editor-font-family': '"Droid Sans Mono", "monospace", monospace',
      '--vscode-editor-font-size': '12px',
      '--vscode-foreground': '#ffffff',
      '--vscode-descriptionForeground': 'rgba(255, 255, 255, 0.7)',
      '--vscode-editor-background': '#000000',
      '--vscode-contrastBorder': '#6fc3df',
      '--vscode-focusBorder': '#f38518',
      '--vscode-button-background': '#000000',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-border': '#6fc3df',
      '--vscode-button-secondaryBackground': '#000000',
      '--vscode-button-secondaryForeground': '#ffffff',
      '--vscode-dropdown-background': '#000000',
      '--vscode-dropdown-foreground': '#ffffff',
      '--vscode-dropdown-border': '#6fc3df',
      '--vscode-badge-background': '#000000',
      '--vscode-badge-foreground': '#ffffff',
      '--vscode-textLink-foreground': '#21a6ff',
      '--vscode-errorForeground': '#f48771',
      '--vscode-editorWarning-foreground': '#ffd370',
      '--vscode-charts-foreground': '#ffffff',
      '--vscode-charts-lines': 'rgba(255, 255, 255, 0.5)',
      '--vscode-charts-red': '#f48771',
      '--vscode-charts-blue': '#3794ff',
      '--vscode-charts-yellow': '#ffd370',
      '--vscode-charts-orange': '#d18616',
      '--vscode-charts-green': '#89d185',
      '--vscode-charts-purple': '#b180d7',
    },
  },
};

/** Stands in for VS Code's webview host script: the API object, the theme variables, a message log. */
function stubScript(theme: string, savedState: unknown): string {
  const t = THEMES[theme]!;
  return `
(() => {
  const vars = ${JSON.stringify(t.vars)};
  for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
  window.__setTheme = (name, themes) => {
    const t = themes[name];
    document.documentElement.removeAttribute('style');
    for (const [k, v] of Object.entries(t.vars)) document.documentElement.style.setProperty(k, v);
    document.body.className = t.bodyClass;
  };
  document.addEventListener('DOMContentLoaded', () => { document.body.className = ${JSON.stringify(t.bodyClass)}; });
  window.__posted = [];
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  let state = ${JSON.stringify(savedState ?? null)} ?? undefined;
  window.__state = () => state;
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => { window.__posted.push(m); if (m.type === 'ready') window.__readyAt = performance.now(); },
    getState: () => state,
    setState: (s) => { state = s; },
  });
})();`;
}

interface Served {
  server: Server;
  origin: string;
}

async function serve(bundleDir: string): Promise<Served> {
  const css = await readFile(join(ROOT, 'media/dashboard.css'));
  const js = await readFile(join(bundleDir, 'dashboard.js'));
  let origin = '';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/dashboard.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    if (url.pathname === '/dashboard.css') return void res.writeHead(200, { 'content-type': 'text/css' }).end(css);
    if (url.pathname === '/') {
      const nonce = makeNonce();
      const theme = url.searchParams.get('theme') ?? 'dark';
      const saved = url.searchParams.get('state');
      const html = dashboardHtml({ cspSource: origin, scriptUri: `${origin}/dashboard.js`, styleUri: `${origin}/dashboard.css`, nonce });
      const page = html.replace('<script nonce=', `<script nonce="${nonce}">${stubScript(theme, saved ? JSON.parse(saved) : null)}</script>\n<script nonce=`);
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    }
    // Chromium asks for /favicon.ico; answering keeps that request out of the console errors.
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  origin = `http://127.0.0.1:${address.port}`;
  return { server, origin };
}

/** Dispatches host messages synchronously and waits for the next two frames, so the time covers the work and the paint. */
async function deliver(page: Page, messages: HostToWebview[]): Promise<number> {
  return page.evaluate(async (msgs) => {
    const t0 = performance.now();
    for (const data of msgs) window.dispatchEvent(new MessageEvent('message', { data }));
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    return performance.now() - t0;
  }, messages);
}

async function frame(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function main(): Promise<void> {
  await stat(CHROMIUM).catch(() => {
    throw new Error(`${CHROMIUM} is not there yet; install chromium or pass --chromium <path>`);
  });
  await mkdir(OUT, { recursive: true });
  const dir = await mkdtemp(join(tmpdir(), 'flowdeck-dashboard-'));
  const report: Record<string, unknown> = {};
  try {
    const built = await esbuild.build({
      entryPoints: { dashboard: join(ROOT, 'src/webview/main.ts') },
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      outdir: dir,
      metafile: true,
      logLevel: 'warning',
    });
    const js = await readFile(join(dir, 'dashboard.js'));
    const inputs = Object.values(built.metafile.outputs)[0]!.inputs;
    const chartBytes = Object.entries(inputs)
      .filter(([path]) => path.includes('node_modules/chart.js') || path.includes('node_modules/@kurkle'))
      .reduce((sum, [, v]) => sum + v.bytesInOutput, 0);
    report.bundle = { minifiedBytes: js.length, gzipBytes: gzipSync(js).length, chartJsBytes: chartBytes, ownBytes: js.length - chartBytes };

    const { server, origin } = await serve(dir);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const consoleErrors: string[] = [];
    const cspViolations: string[] = [];
    /** Closes a page after collecting the CSP violations it recorded. */
    const close = async (page: Page): Promise<void> => {
      cspViolations.push(...(await page.evaluate(() => window.__csp)));
      await page.close();
    };
    try {
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
      const open = async (query: string, watchConsole = true): Promise<Page> => {
        const page = await context.newPage();
        if (watchConsole) page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`[${m.type()}] ${m.text()}`);
        });
        page.on('pageerror', (e) => consoleErrors.push(`[pageerror] ${e.message}`));
        await page.goto(`${origin}/?${query}`);
        await page.waitForFunction(() => window.__readyAt !== undefined);
        return page;
      };

      const now = Date.now();
      const model = buildDashboardModel({ runs: sampleRuns(now), results: sampleResults(now), now });
      const logRun = model.logs.run!.id;

      // --- the full dashboard, dark theme
      const page = await open('theme=dark');
      report.firstContentfulPaintMs = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null);
      report.readyPostedMs = await page.evaluate(() => window.__readyAt);
      report.modelToPaintMs = await deliver(page, [{ type: 'model', model }]);
      report.posted = await page.evaluate(() => window.__posted);

      // The lines go to the page first and settle there: handing 100,000 objects to page.evaluate costs
      // ~300 ms of Playwright serialisation and GC that is no part of the dashboard's work.
      await page.evaluate((lines) => void (window.__lines = lines), sampleLogLines(LOG_LINES, now - LOG_LINES * 13));
      await page.waitForTimeout(500);
      report.append100k = await page.evaluate(async (runId) => {
        const lines = window.__lines;
        const t0 = performance.now();
        window.dispatchEvent(new MessageEvent('message', { data: { type: 'logs', runId, lines, reset: true } }));
        const handledMs = performance.now() - t0;
        await new Promise((r) => requestAnimationFrame(r));
        const firstFrameMs = performance.now() - t0;
        await new Promise((r) => requestAnimationFrame(r));
        return { handledMs, firstFrameMs, paintedMs: performance.now() - t0 };
      }, logRun);
      // The same through window.postMessage, which adds the structured clone a real webview message pays.
      report.append100kViaPostMessageMs = await page.evaluate(async (runId) => {
        const lines = window.__lines;
        const t0 = performance.now();
        const got = new Promise((r) => window.addEventListener('message', r, { once: true }));
        window.postMessage({ type: 'logs', runId, lines, reset: true }, '*');
        await got;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      }, logRun);
      // Streaming: 200 batches of 50 lines, as a busy run would send them.
      report.stream200x50Ms = await deliver(
        page,
        Array.from({ length: 200 }, (_, b) => ({ type: 'logs' as const, runId: logRun, lines: sampleLogLines(50, now + b * 1000) })),
      );
      report.logDom = await page.evaluate(() => ({
        rows: document.querySelectorAll('.log-row').length,
        allElements: document.querySelectorAll('*').length,
        counts: document.querySelector('.log-counts')?.textContent,
        atBottom: (() => {
          const v = document.querySelector('.log-viewport')!;
          return Math.abs(v.scrollTop + v.clientHeight - v.scrollHeight) < 2;
        })(),
      }));
      report.scrollToMiddleMs = await page.evaluate(async () => {
        const v = document.querySelector('.log-viewport')!;
        const t0 = performance.now();
        v.scrollTop = v.scrollHeight / 2;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        return performance.now() - t0;
      });
      await frame(page);
      report.followAfterScrollUp = await page.evaluate(async () => {
        const jump = document.querySelector('.jump')!;
        return { jumpButtonShown: !jump.hidden, firstRowText: document.querySelector('.log-row:not([hidden]) .log-text')?.textContent };
      });
      await page.screenshot({ path: join(OUT, 'dashboard-dark.png'), fullPage: true });
      await page.locator('.slot-logs').screenshot({ path: join(OUT, 'logs-middle-dark.png') });

      // The theme changes under the open page; charts must repaint from the new variables.
      await page.evaluate((themes) => window.__setTheme('light', themes), THEMES);
      await frame(page);
      await frame(page);
      await page.screenshot({ path: join(OUT, 'dashboard-light-switched.png'), fullPage: true });

      // A click on an older github run, answered the way the panel will: validate, reduce, rebuild.
      await page.locator('.run-row', { hasText: 'gentle-wren' }).click();
      const clicked = parseWebviewMessage(await page.evaluate(() => window.__posted.at(-1)));
      const selection = nextSelection(model.selection, clicked, sampleRuns(now));
      const selectedModel = buildDashboardModel({ runs: sampleRuns(now), results: sampleResults(now), selection, now });
      report.afterRunClick = {
        message: clicked,
        selection,
        github: selectedModel.github.status === 'ok' ? { run: selectedModel.github.run.name, comparedWith: selectedModel.github.view.previous?.run.name } : selectedModel.github.status,
      };
      await deliver(page, [
        { type: 'model', model: selectedModel },
        { type: 'logs', runId: selection.logRunId!, lines: sampleLogLines(40, now - 26 * 3_600_000), reset: true },
      ]);
      await page.screenshot({ path: join(OUT, 'selected-run-light.png'), fullPage: true });

      // Toggle a metric, then reload: the toggle and selection come back from getState.
      await page.locator('.stat.toggle', { hasText: 'Subscribers lost' }).click();
      report.savedState = await page.evaluate(() => window.__state());
      await close(page);

      // --- restored from saved state, high contrast
      const hc = await open(`theme=hc&state=${encodeURIComponent(JSON.stringify(report.savedState))}`);
      report.readyAfterRestore = await hc.evaluate(() => window.__posted[0]);
      // The panel's serializer would hand the same state back; here the restored `ready` carries it.
      const restoredMessage = parseWebviewMessage(report.readyAfterRestore);
      const restoredSelection = nextSelection({}, restoredMessage, sampleRuns(now));
      await deliver(hc, [{ type: 'model', model: buildDashboardModel({ runs: sampleRuns(now), results: sampleResults(now), selection: restoredSelection, now }) }]);
      await hc.screenshot({ path: join(OUT, 'dashboard-hc-restored.png'), fullPage: true });
      // An editor-split-sized panel: one column.
      await hc.setViewportSize({ width: 720, height: 900 });
      await frame(hc);
      await hc.screenshot({ path: join(OUT, 'narrow-hc.png'), fullPage: true });
      await close(hc);

      // --- no runs at all: an invitation, not empty axes
      const empty = await open('theme=dark');
      const emptyModel = buildDashboardModel({ runs: [], results: new Map(), now });
      await deliver(empty, [{ type: 'model', model: emptyModel }]);
      await empty.screenshot({ path: join(OUT, 'empty-dark.png') });
      await empty.locator('.welcome .button', { hasText: 'Run youtube-channel-analytics' }).click();
      report.emptyStateClick = await empty.evaluate(() => window.__posted.at(-1));
      report.canvasesInEmptyState = await empty.evaluate(() => document.querySelectorAll('canvas').length);
      await close(empty);

      // --- some runs, but one result unreadable and no youtube run finished
      const partial = await open('theme=light');
      const partialRuns = sampleRuns(now).filter((r) => r.flowName !== 'youtube-channel-analytics' || r.state.type !== 'COMPLETED');
      const partialModel: DashboardModel = buildDashboardModel({
        runs: partialRuns,
        results: new Map<string, unknown>([['r11', { repo: 'flowdeck/flowdeck', stars: '12k?' }], ['r08', githubResult(1, 1, 1, 1, now)]]),
        now,
      });
      await deliver(partial, [
        { type: 'model', model: partialModel },
        { type: 'notice', level: 'error', message: 'Could not start youtube-channel-analytics: no Google account is signed in. Run "Flowdeck: Sign in to Google" first.' },
      ]);
      await partial.screenshot({ path: join(OUT, 'partial-light.png'), fullPage: true });
      await close(partial);

      // --- the CSP really is enforced in this page (so "no violations" above means something)
      const probe = await open('theme=dark', false);
      report.cspEnforced = await probe.evaluate(async () => {
        const w = window;
        const before = w.__csp.length;
        const div = document.createElement('div');
        div.innerHTML = '<span style="color:red">x</span><img src="https://example.invalid/x.png">';
        document.body.append(div);
        await new Promise((r) => setTimeout(r, 100));
        const blocked = w.__csp.slice(before);
        w.__csp.length = before;
        return blocked;
      });
      await close(probe);
    } finally {
      await browser.close();
      server.close();
    }
    report.cspViolations = cspViolations;
    report.consoleErrors = consoleErrors;
    report.screenshots = OUT;
    console.log(JSON.stringify(report, null, 2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
