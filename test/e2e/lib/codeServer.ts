/**
 * End-to-end harness: a real VS Code (code-server 4.100.3 = VS Code 1.100.3) driven by playwright-core
 * with Debian's chromium. Install everything first with `bash test/e2e/setup.sh`.
 *
 *   const server = await startCodeServer({ workspace, vsixPath, env: { FOO: '1' } });
 *   const browser = await launchBrowser();
 *   const page = await newPage(browser);
 *   await openWorkbench(page, server.url);
 *   await runCommand(page, 'Flowdeck: Run Flow');
 *   const text = await readOutputChannel(page, 'Flowdeck');
 *   await browser.close(); await server.stop();
 *
 * See test/e2e/README.md for selectors that work and pitfalls.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';

// The repo's tsconfig has no DOM lib; code passed to page.evaluate runs in the browser.
declare const document: any;
declare const navigator: any;

export const CODE_SERVER_VERSION = process.env.FLOWDECK_E2E_CODE_SERVER ?? '4.100.3';
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');
export const CHROMIUM_PATH = process.env.FLOWDECK_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Where setup.sh put code-server's entry script (override with FLOWDECK_CODE_SERVER=/path/to/entry.js). */
export function codeServerEntry(): string {
  if (process.env.FLOWDECK_CODE_SERVER) return process.env.FLOWDECK_CODE_SERVER;
  const cache = process.env.FLOWDECK_E2E_CACHE ?? path.join(os.homedir(), '.cache', 'flowdeck-e2e');
  return path.join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

export interface StartOptions {
  /** Folder to open. */
  workspace: string;
  /** Extra environment for code-server (and so for the extension host, which inherits it). */
  env?: Record<string, string | undefined>;
  /** A .vsix (or several) installed with --install-extension before the server starts. */
  vsixPath?: string | string[];
  /**
   * Default true: --disable-workspace-trust. false: workspace trust stays on and the folder opens in
   * Restricted Mode (vscode.workspace.isTrusted === false); extensions without
   * `capabilities.untrustedWorkspaces` are then disabled.
   */
  trusted?: boolean;
  /** Extra user settings merged over the harness defaults (User/settings.json). */
  settings?: Record<string, unknown>;
  /** Fixed port; default a free one on 127.0.0.1. */
  port?: number;
  /** How long to wait for the HTTP port (default 60 s). */
  timeoutMs?: number;
  /** Keep the temp dirs after stop() (also FLOWDECK_E2E_KEEP=1), e.g. to read logs. */
  keepTemp?: boolean;
}

export interface CodeServer {
  /** Workbench URL with the folder, e.g. http://127.0.0.1:PORT/?folder=/abs/ws */
  url: string;
  /** http://127.0.0.1:PORT */
  baseUrl: string;
  port: number;
  pid: number;
  workspace: string;
  /** Root temp dir holding userDataDir, extensionsDir, config.yaml and code-server.log. */
  tempDir: string;
  userDataDir: string;
  extensionsDir: string;
  /** code-server's stdout+stderr (also written to logPath). */
  logPath: string;
  log(): string;
  /** Milliseconds from spawn to the HTTP port answering. */
  startupMs: number;
  /** Extensions listed by `code-server --list-extensions --show-versions`. */
  listExtensions(): string[];
  /** Reads an output channel's text from the server's log files (no UI); see readOutputChannelFromLogs. */
  readOutputChannelFromLogs(name: string): string | undefined;
  /** Kills code-server and every process it started, and removes the temp dirs. Safe to call twice. */
  stop(): Promise<void>;
}

/** Harness defaults: quiet first start, no network look-ups, no welcome page. */
export const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'files.hotExit': 'off',
};

export const UNTRUSTED_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
  'security.workspace.trust.banner': 'never',
  'security.workspace.trust.emptyWindow': false,
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Environment for code-server: ours merged with `extra`, minus variables that would leak in from a tsx/VS Code parent. */
function serverEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // tsx puts its loader into NODE_OPTIONS; the extension host would inherit it.
  delete env.NODE_OPTIONS;
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE' || k === 'PASSWORD' || k === 'HASHED_PASSWORD') delete env[k];
  }
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** All descendants of `pid` (from /proc), children before grandchildren. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ... ; comm may contain spaces/parens, so split after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      /* process went away */
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function killTree(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (!pid) return;
  const pids = [pid, ...descendants(pid)];
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // the process group (spawned detached)
    } catch {
      /* group gone */
    }
    for (const p of pids) {
      try {
        process.kill(p, sig);
      } catch {
        /* gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && pids.some(alive)) await sleep(100);
  if (pids.some(alive)) signal('SIGKILL');
  const hard = Date.now() + 3000;
  while (Date.now() < hard && pids.some((p) => alive(p) && !isZombie(p))) await sleep(50);
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

function baseArgs(configPath: string, userDataDir: string, extensionsDir: string): string[] {
  return ['--config', configPath, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
}

/** Runs `code-server <args>` to completion (for --install-extension, --list-extensions). */
function runCodeServerCli(args: string[], env: NodeJS.ProcessEnv): string {
  const entry = codeServerEntry();
  const res = spawnSync(process.execPath, [entry, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.status !== 0) throw new Error(`code-server ${args.join(' ')} failed (${res.status ?? res.signal}):\n${out}`);
  return out;
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  const entry = codeServerEntry();
  if (!fs.existsSync(entry)) {
    throw new Error(`code-server not found at ${entry}; run: bash test/e2e/setup.sh`);
  }
  const workspace = path.resolve(opts.workspace);
  if (!fs.existsSync(workspace)) throw new Error(`workspace does not exist: ${workspace}`);
  const trusted = opts.trusted !== false;
  const keep = opts.keepTemp ?? process.env.FLOWDECK_E2E_KEEP === '1';

  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowdeck-e2e-'));
  const userDataDir = path.join(tempDir, 'user-data');
  const extensionsDir = path.join(tempDir, 'extensions');
  const configPath = path.join(tempDir, 'config.yaml');
  const logPath = path.join(tempDir, 'code-server.log');
  fs.mkdirSync(extensionsDir, { recursive: true });
  // An explicit config file, so code-server neither reads nor writes ~/.config/code-server/config.yaml.
  fs.writeFileSync(configPath, 'auth: none\ncert: false\n');
  const settings = { ...DEFAULT_SETTINGS, ...(trusted ? {} : UNTRUSTED_SETTINGS), ...(opts.settings ?? {}) };
  // As the user's settings and as the remote's (Machine), where a recent VS Code in a browser reads
  // machine-scoped settings (`flowdeck.store`) from; VS Code 1.100 read them from the user's too.
  for (const scope of ['User', 'Machine']) {
    fs.mkdirSync(path.join(userDataDir, scope), { recursive: true });
    fs.writeFileSync(path.join(userDataDir, scope, 'settings.json'), JSON.stringify(settings, null, 2));
  }

  const env = serverEnv(opts.env);
  const common = baseArgs(configPath, userDataDir, extensionsDir);
  const removeTemp = () => {
    if (!keep) fs.rmSync(tempDir, { recursive: true, force: true });
  };

  try {
    const vsixes = opts.vsixPath === undefined ? [] : Array.isArray(opts.vsixPath) ? opts.vsixPath : [opts.vsixPath];
    for (const vsix of vsixes) {
      const out = runCodeServerCli([...common, '--install-extension', path.resolve(vsix)], env);
      fs.appendFileSync(logPath, out);
    }
  } catch (err) {
    removeTemp();
    throw err;
  }

  const port = opts.port ?? (await freePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    ...common,
    '--disable-telemetry',
    '--disable-update-check',
    ...(trusted ? ['--disable-workspace-trust'] : []),
    workspace,
  ];
  const started = Date.now();
  const child = spawn(process.execPath, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], cwd: workspace });
  const logFd = fs.openSync(logPath, 'a');
  let logText = '';
  const onData = (b: Buffer) => {
    logText += b.toString();
    if (logText.length > 1_000_000) logText = logText.slice(-500_000);
    try {
      fs.writeSync(logFd, b);
    } catch {
      /* closed */
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) await killTree(child);
    await Promise.race([exitPromise, sleep(2000)]);
    try {
      fs.closeSync(logFd);
    } catch {
      /* already closed */
    }
    removeTemp();
  };

  const timeoutMs = opts.timeoutMs ?? 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`code-server exited early (${exited.code ?? exited.signal}):\n${logText}`);
    }
    if ((await httpStatus(`${baseUrl}/healthz`)) === 200) break;
    if (Date.now() - started > timeoutMs) {
      await stop();
      throw new Error(`code-server did not answer on ${baseUrl} within ${timeoutMs} ms:\n${logText}`);
    }
    await sleep(150);
  }
  const startupMs = Date.now() - started;

  return {
    url: `${baseUrl}/?${new URLSearchParams({ folder: workspace })}`,
    baseUrl,
    port,
    pid: child.pid!,
    workspace,
    tempDir,
    userDataDir,
    extensionsDir,
    logPath,
    log: () => logText,
    startupMs,
    listExtensions: () =>
      runCodeServerCli([...common, '--list-extensions', '--show-versions'], env)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => /^[\w.-]+\.[\w.-]+@/.test(l)),
    readOutputChannelFromLogs: (name: string) => readOutputChannelFromLogs(userDataDir, name),
    stop,
  };
}

/**
 * Output channels of extensions are backed by files on the server:
 * `<user-data>/logs/<session>/exthost<N>/output_logging_<ts>/<n>-<name>.log` (createOutputChannel(name))
 * and `<user-data>/logs/<session>/exthost<N>/<publisher.extension>/<name>.log` (createOutputChannel(name, { log: true })).
 * Returns the newest matching file's text, or undefined. Text appended in the last moment may not be flushed yet.
 */
export function readOutputChannelFromLogs(userDataDir: string, name: string): string | undefined {
  const logsRoot = path.join(userDataDir, 'logs');
  if (!fs.existsSync(logsRoot)) return undefined;
  const matches: { file: string; mtime: number }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (new RegExp(`^(\\d+-)?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.log$`).test(e.name)) {
        matches.push({ file: p, mtime: fs.statSync(p).mtimeMs });
      }
    }
  };
  walk(logsRoot);
  if (!matches.length) return undefined;
  matches.sort((a, b) => b.mtime - a.mtime);
  return fs.readFileSync(matches[0].file, 'utf8');
}

// ------------------------------------------------------------------------------------------ browser

export async function launchBrowser(opts: { headless?: boolean } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: opts.headless ?? process.env.FLOWDECK_E2E_HEADED !== '1',
    args: CHROMIUM_ARGS,
  });
}

/** A page in a fresh context with a fixed viewport and clipboard permissions (readOutputChannel uses the clipboard). */
export async function newPage(browser: Browser, opts: { width?: number; height?: number } = {}): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  return context.newPage();
}

/**
 * Opens the workbench and waits until it is usable: `.monaco-workbench` visible, the activity bar populated and
 * the status bar shown. Returns the milliseconds it took. Extension views appear a little later: wait for them.
 */
export async function openWorkbench(page: Page, url: string, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await workbenchReady(page, timeoutMs);
  return Date.now() - t0;
}

/**
 * Reloads the window as *Developer: Reload Window* does — the workbench shuts down in order and keeps its
 * state (open editors, webview panels) first, which a bare page reload can cut short — and waits for it.
 */
export async function reloadWindow(page: Page, timeoutMs = 60_000): Promise<void> {
  const navigated = page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame(), timeout: timeoutMs });
  // The palette goes with the page: what runCommand waits for after the click may never come.
  await runCommand(page, 'Developer: Reload Window').catch(() => undefined);
  await navigated;
  await page.waitForLoadState('domcontentloaded', { timeout: timeoutMs });
  await workbenchReady(page, timeoutMs);
}

/** Waits for the workbench of a page that has loaded: its parts and its connection to the server. */
async function workbenchReady(page: Page, timeoutMs: number): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
  await page
    .locator('.part.activitybar .action-item, .part.sidebar .composite-bar .action-item')
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs });
  await page.locator('.part.statusbar').waitFor({ state: 'visible', timeout: timeoutMs });
  // The remote connection (and so the extension host) is up once the status bar shows the remote indicator
  // or any extension-contributed entry; the explorer's folder title is enough as well.
  await page
    .locator('.part.sidebar .pane-header, .part.editor .editor-group-container')
    .first()
    .waitFor({ state: 'visible', timeout: timeoutMs });
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Quick input (command palette / quick pick) widget. */
export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/**
 * Types `text` into the open input box titled `title` and presses Enter — after typing `refused.text` first
 * and seeing the box say `refused.message`, when given (a value the box checks as it is typed).
 */
export async function answerBox(page: Page, title: string, text: string, refused?: { text: string; message: RegExp }): Promise<void> {
  const widget = quickInput(page);
  await widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 15_000 });
  const input = widget.locator('input');
  if (refused) {
    await input.fill(refused.text);
    await widget.locator('.quick-input-message', { hasText: refused.message }).waitFor({ state: 'visible', timeout: 15_000 });
  }
  await input.fill(text);
  await input.press('Enter');
}

/** Picks the row whose label equals `label` in an open quick pick (typing the label as the filter first). */
export async function pickQuickItem(page: Page, label: string, opts: { type?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const widget = quickInput(page);
  const input = widget.locator('input');
  if (opts.type !== false) await input.fill(label);
  const row = widget
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) })
    .first();
  await row.waitFor({ state: 'visible', timeout: opts.timeoutMs ?? 15_000 });
  await row.click();
  await quickInputDone(page, label, opts.timeoutMs ?? 15_000);
}

/**
 * After accepting a quick-input row: waits until the widget is hidden or shows something else (a command
 * such as "Output: Show Output Channels..." opens a second quick pick right away, so "hidden" never comes).
 */
async function quickInputDone(page: Page, typed: string, timeoutMs: number): Promise<void> {
  const widget = quickInput(page);
  const input = widget.locator('input');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await widget.isVisible())) return;
    const value = await input.inputValue({ timeout: 500 }).catch(() => '');
    if (value !== typed) return;
    await page.waitForTimeout(50);
  }
}

/**
 * Runs a command by its palette title (with category, as the palette shows it, e.g. 'Smoke: Say Hello'):
 * F1, type, click the row whose label matches exactly.
 */
export async function runCommand(page: Page, title: string, timeoutMs = 15_000): Promise<number> {
  const widget = quickInput(page);
  if (await widget.isVisible()) await page.keyboard.press('Escape');
  const input = widget.locator('input');
  // Focus the workbench (not a webview iframe, which swallows F1) before opening the palette. An F1 can
  // still be lost — a webview that has just opened takes the focus back as it loads — so it is pressed
  // again while the palette has not opened, within the same time.
  // The palette can also close again before it is typed in: a webview opened a moment before takes the
  // focus as it loads and the palette hides on blur (CI saw its input go inert, then hidden). Then the
  // palette is opened again and typed in anew, within the same time.
  const row = widget
    .locator('.monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(title)}\\s*$`) }) })
    .first();
  const deadline = Date.now() + timeoutMs;
  for (let presses = 1; ; presses++) {
    await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } }).catch(() => undefined);
    await page.keyboard.press('F1');
    const left = () => Math.max(1, Math.min(3_000, deadline - Date.now()));
    const opened = await input.waitFor({ state: 'visible', timeout: left() }).then(
      () => true,
      () => false,
    );
    const typed = opened && (await input.fill(`>${title}`, { timeout: left() }).then(() => true, () => false));
    // The row, or the palette gone from under it (then it is opened again at once).
    const rest = Math.max(1, deadline - Date.now());
    const listed =
      typed &&
      (await Promise.race([
        row.waitFor({ state: 'visible', timeout: rest }).then(() => true, () => false),
        widget.waitFor({ state: 'hidden', timeout: rest }).then(() => false, () => false),
      ]));
    if (listed) break;
    if (Date.now() >= deadline) {
      const what = !opened ? 'open' : !typed ? 'stay open to be typed in' : `list '${title}'`;
      throw new Error(`the command palette did not ${what} (F1 pressed ${presses} times in ${timeoutMs} ms)`);
    }
    if (await widget.isVisible()) await page.keyboard.press('Escape');
  }
  // Returned so a measurement can start when the user chooses the command, not when the palette opens.
  const clickedAt = Date.now();
  await row.click();
  await quickInputDone(page, `>${title}`, timeoutMs);
  return clickedAt;
}

/**
 * Runs a command that opens a quick pick (by its palette title), types `filter` in it and clicks the row
 * `row` picks out of the widget's rows (default: the row whose label is exactly `filter`).
 *
 * A quick pick hides when it loses the focus, as the palette does: a webview opened a moment before (a run's
 * details, clicked open just before) takes the focus as it loads, and a pick open by then goes away — its
 * input inert, then hidden, and a `fill` in it waits out its whole timeout. Then the command is run again
 * and its pick typed in anew, within the same time.
 */
export async function pickAfterCommand(
  page: Page,
  title: string,
  filter: string,
  opts: { row?: (rows: Locator) => Locator; timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const widget = quickInput(page);
  const input = widget.locator('input');
  const rows = widget.locator('.monaco-list-row');
  const exact = (all: Locator) => all.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(filter)}\\s*$`) }) });
  const row = (opts.row ?? exact)(rows).first();
  const deadline = Date.now() + timeoutMs;
  for (let opened = 1; ; opened++) {
    await runCommand(page, title, Math.max(3_000, deadline - Date.now()));
    const left = () => Math.max(1, deadline - Date.now());
    // The pick may come a moment after the palette goes (the command reads what it lists first).
    const typed = await input.fill(filter, { timeout: Math.min(5_000, left()) }).then(() => true, () => false);
    // The row, or the pick gone from under it (then it is opened again at once).
    const listed =
      typed &&
      (await Promise.race([
        row.waitFor({ state: 'visible', timeout: left() }).then(() => true, () => false),
        widget.waitFor({ state: 'hidden', timeout: left() }).then(() => false, () => false),
      ]));
    if (listed && (await row.click({ timeout: Math.min(3_000, left()) }).then(() => true, () => false))) break;
    if (Date.now() >= deadline) {
      throw new Error(`${title}: its pick did not ${typed ? `list '${filter}'` : 'stay open to be typed in'} (opened ${opened} times in ${timeoutMs} ms)`);
    }
  }
  await quickInputDone(page, filter, timeoutMs);
}

/** Clicks the activity-bar item of a view container by its aria-label (its title), e.g. 'Smoke'. */
export async function openViewContainer(page: Page, title: string, timeoutMs = 30_000): Promise<Locator> {
  const item = page
    .locator('.part.activitybar .action-item')
    .filter({ has: page.locator(`.action-label[aria-label="${title}"], .action-label[aria-label^="${title} ("]`) })
    .first();
  const byLabel = page.locator(`.part.activitybar [aria-label="${title}"], .part.activitybar [aria-label^="${title} ("]`).first();
  const target = (await item.count()) ? item : byLabel;
  await target.waitFor({ state: 'visible', timeout: timeoutMs });
  const checked = await target.getAttribute('aria-expanded').catch(() => null);
  const selected = await target.evaluate((el: any) => el.classList.contains('checked')).catch(() => false);
  if (checked !== 'true' && !selected) await target.click();
  return target;
}

/** A tree/list row (`.monaco-list-row`) in the side bar or panel whose text contains `text` (string or RegExp). */
export function treeRow(page: Page, text: string | RegExp, scope = '.part.sidebar, .part.panel, .part.auxiliarybar'): Locator {
  return page.locator(scope).locator('.monaco-list-row').filter({ hasText: text }).first();
}

/**
 * Hovers `row` until its tooltip shows `text`; returns how many hovers it took. A row redrawn under the
 * mouse (its state changed) or a hover that came too early shows no tooltip: the mouse leaves and hovers again.
 */
export async function hoverTooltip(page: Page, row: Locator, text: string | RegExp, timeoutMs = 30_000): Promise<number> {
  const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: text }).first();
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    await row.hover();
    const shown = await hover.waitFor({ state: 'visible', timeout: Math.max(1_000, Math.min(6_000, deadline - Date.now())) }).then(
      () => true,
      () => false,
    );
    await page.mouse.move(0, 0);
    if (shown) return tries;
    if (Date.now() >= deadline) throw new Error(`no tooltip showing ${String(text)} after ${tries} hovers in ${timeoutMs} ms`);
  }
}

/** Hovers a tree row and clicks its inline action (menus `view/item/context` group `inline`) by title. */
export async function clickInlineAction(row: Locator, title: string, timeoutMs = 10_000): Promise<void> {
  await row.hover();
  const action = row.locator(`.actions .action-label[aria-label="${title}"], .actions [aria-label="${title}"]`).first();
  await action.waitFor({ state: 'visible', timeout: timeoutMs });
  await action.click();
}

/**
 * Clicks a row's inline action until `shown` (what the action opens) is visible; returns how many clicks it
 * took. A click that lands as the view redraws that row (a running or paused row's duration ticks) can reach
 * the command without its row, which then does nothing: it is clicked again, at most `clicks` times, each
 * given `waitMs` to show. A slow first click that shows after the second only replaces its own input box.
 */
export async function clickInlineActionUntil(
  row: Locator,
  title: string,
  shown: Locator,
  opts: { clicks?: number; waitMs?: number } = {},
): Promise<number> {
  const clicks = opts.clicks ?? 3;
  for (let n = 1; ; n++) {
    await clickInlineAction(row, title);
    const seen = await shown.waitFor({ state: 'visible', timeout: opts.waitMs ?? 10_000 }).then(
      () => true,
      () => false,
    );
    if (seen) {
      if (n > 1) console.log(`# ${title}: shown after ${n} clicks (a click landed as the row was redrawn)`);
      return n;
    }
    if (n >= clicks) throw new Error(`${title} clicked ${n} times on its row; what it opens never showed`);
  }
}

/** Panel with the Output view, opened on channel `name` through "Output: Show Output Channels...". */
export async function showOutputChannel(page: Page, name: string, timeoutMs = 15_000): Promise<Locator> {
  await pickAfterCommand(page, 'Output: Show Output Channels...', name, { timeoutMs });
  const editor = page.locator('.part.panel .output-view .monaco-editor, .part.panel .monaco-editor').first();
  await editor.waitFor({ state: 'visible', timeout: timeoutMs });
  return editor;
}

/**
 * Returns the full text of output channel `name`, read from the UI.
 *
 * The output view is a Monaco editor that renders only the visible lines, so reading `.view-line` elements
 * misses everything scrolled away. Mode 'clipboard' focuses the editor, selects all, copies and reads the
 * clipboard (needs the permissions newPage grants); 'scroll' pages through the editor collecting rendered
 * lines by their offset; 'auto' (default) tries the clipboard and falls back to scrolling.
 */
export async function readOutputChannel(
  page: Page,
  name: string,
  opts: { timeoutMs?: number; mode?: 'auto' | 'clipboard' | 'scroll' } = {},
): Promise<string> {
  const editor = await showOutputChannel(page, name, opts.timeoutMs);
  return readEditorText(page, editor, opts.mode);
}

/** Reads a Monaco editor's whole text (see readOutputChannel for the modes). */
export async function readEditorText(page: Page, editor: Locator, mode: 'auto' | 'clipboard' | 'scroll' = 'auto'): Promise<string> {
  if (mode === 'scroll') return readEditorByScrolling(page, editor);
  const viaClipboard = await readEditorViaClipboard(page, editor).catch((err) => {
    if (mode === 'clipboard') throw err;
    return undefined;
  });
  if (viaClipboard !== undefined) return viaClipboard;
  if (mode === 'clipboard') throw new Error('clipboard read returned nothing');
  return readEditorByScrolling(page, editor);
}

/**
 * Waits until output channel `name` matches `pattern` (output is appended asynchronously) and returns its text.
 * Opens the channel once, then re-reads the editor.
 */
export async function waitForOutputChannel(
  page: Page,
  name: string,
  pattern: RegExp | string,
  opts: { timeoutMs?: number; mode?: 'auto' | 'clipboard' | 'scroll' } = {},
): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const editor = await showOutputChannel(page, name, timeoutMs);
  const ok = (t: string) => (typeof pattern === 'string' ? t.includes(pattern) : pattern.test(t));
  const deadline = Date.now() + timeoutMs;
  let text = '';
  let failed: unknown;
  for (;;) {
    // A read can fail once — its keys went to a webview that took the focus as it loaded, and the editor's
    // lines never scrolled into view — and is tried again within the same time.
    text = await readEditorText(page, editor, opts.mode).then(
      (read) => ((failed = undefined), read),
      (error: unknown) => ((failed = error), text),
    );
    if (ok(text)) return text;
    if (Date.now() > deadline) throw new Error(`output channel "${name}" never matched ${pattern}${failed ? ` (its last read failed: ${String(failed)})` : ''}; last text:\n${text}`);
    await page.waitForTimeout(250);
  }
}

/** Focuses a Monaco editor by clicking inside its visible area (not `.view-lines`, which may be scrolled off). */
async function focusEditor(editor: Locator): Promise<void> {
  await editor.click({ position: { x: 60, y: 8 } });
}

/** Select all + copy in a Monaco editor, then read the clipboard. Returns undefined if nothing came through. */
export async function readEditorViaClipboard(page: Page, editor: Locator): Promise<string | undefined> {
  const sentinel = `__flowdeck_e2e_${Date.now()}__`;
  await page.evaluate((s: string) => navigator.clipboard.writeText(s), sentinel);
  await focusEditor(editor);
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('ControlOrMeta+C');
  let text = sentinel;
  for (let i = 0; i < 20 && text === sentinel; i++) {
    await page.waitForTimeout(100);
    text = await page.evaluate(() => navigator.clipboard.readText());
  }
  // Collapse the selection again so later screenshots look normal.
  await page.keyboard.press('ControlOrMeta+End');
  return text === sentinel ? undefined : text;
}

/**
 * Pages through a Monaco editor collecting every rendered line, keyed by its `top` offset (line index =
 * top / line height). Ctrl+End first tells the index of the last line, so we know when we have them all.
 */
export async function readEditorByScrolling(page: Page, editor: Locator): Promise<string> {
  const snapshot = () =>
    editor.evaluate((el: any) =>
      (Array.from(el.querySelectorAll('.view-lines .view-line')) as any[]).map((r) => ({
        top: parseFloat(r.style.top),
        height: r.getBoundingClientRect().height,
        text: (r.textContent as string).replace(/\u00a0/g, ' '),
      })),
    );
  await focusEditor(editor);
  await page.keyboard.press('ControlOrMeta+End');
  await page.waitForTimeout(100);
  let rows = await snapshot();
  const lineHeight = rows.find((r) => r.height > 0)?.height ?? 19;
  const lastIndex = Math.max(0, ...rows.map((r) => Math.round(r.top / lineHeight)));
  const lines = new Map<number, string>();
  await page.keyboard.press('ControlOrMeta+Home');
  let stalls = 0;
  while (lines.size <= lastIndex && stalls < 20) {
    await page.waitForTimeout(30);
    rows = await snapshot();
    const size = lines.size;
    for (const r of rows) lines.set(Math.round(r.top / lineHeight), r.text);
    if (lines.size === size) {
      stalls++;
    } else {
      stalls = 0;
    }
    if (lines.size <= lastIndex) await page.keyboard.press('PageDown');
  }
  await page.keyboard.press('ControlOrMeta+End');
  const out: string[] = [];
  for (let i = 0; i <= lastIndex; i++) {
    if (!lines.has(i)) throw new Error(`readEditorByScrolling: line ${i + 1} of ${lastIndex + 1} never rendered`);
    out.push(lines.get(i)!);
  }
  return out.join('\n');
}

/**
 * The content frame of a webview (panel or view): two iframes deep, `iframe.webview.ready` > `#active-frame`.
 * With one webview open, `webviewFrame(page)` is enough. With several, pick one by `index` (DOM order) or use
 * findWebviewFrame(page, selector).
 */
export function webviewFrame(page: Page, opts: { index?: number } = {}): FrameLocator {
  const outer = page.locator('iframe.webview.ready');
  return (opts.index === undefined ? outer.first() : outer.nth(opts.index)).contentFrame().frameLocator('#active-frame');
}

/** The first webview whose content has an element matching `selector` (waits up to timeoutMs). */
export async function findWebviewFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await page.locator('iframe.webview.ready').count();
    for (let i = 0; i < n; i++) {
      const frame = webviewFrame(page, { index: i });
      if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no webview contains ${selector} (${n} webviews open)`);
    await page.waitForTimeout(200);
  }
}

/** Saves a full-page PNG under test-results/e2e/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Notification toasts currently shown (their message text). */
export async function notifications(page: Page): Promise<string[]> {
  return page.locator('.notification-toast .notification-list-item-message').allInnerTexts();
}
