import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
interface Command {
  command: string;
  title: string;
  category?: string;
  icon?: string;
}
interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  main: string;
  activationEvents?: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; description?: string; restrictedConfigurations?: string[] } };
  contributes: {
    commands: Command[];
    menus: Record<string, MenuItem[]>;
    views: Record<string, { id: string; name: string }[]>;
    viewsContainers: { activitybar: { id: string; title: string; icon: string }[] };
    viewsWelcome: { view: string; contents: string }[];
    configuration: { properties: Record<string, { default?: unknown }> };
  };
};
const c = pkg.contributes;
const commands = new Map(c.commands.map((cmd) => [cmd.command, cmd]));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}
const extensionSource = sources(join(ROOT, 'src', 'extension')).map((f) => readFileSync(f, 'utf8')).join('\n');

test('the activity bar container and its views', () => {
  assert.deepEqual(c.viewsContainers.activitybar, [{ id: 'flowdeck', title: 'Flowdeck', icon: 'media/flowdeck.svg' }]);
  assert.ok(existsSync(join(ROOT, 'media', 'flowdeck.svg')));
  const views = c.views.flowdeck!.map((v) => `${v.id}=${v.name}`);
  assert.ok(views.includes('flowdeck.flows=Flows'));
  assert.ok(views.includes('flowdeck.runs=Runs'));
  for (const v of c.views.flowdeck!) assert.match(extensionSource, new RegExp(`'${v.id.replace('.', '\\.')}'`), `${v.id} has a tree in src/extension`);
});

test('every command is in the Flowdeck category, and the titles the issue names are exact', () => {
  for (const cmd of c.commands) assert.equal(cmd.category, 'Flowdeck', cmd.command);
  assert.equal(commands.get('flowdeck.runFlow')?.title, 'Run Flow');
  assert.equal(commands.get('flowdeck.runFlow')?.icon, '$(play)');
  assert.equal(commands.get('flowdeck.runFlowWithParameters')?.title, 'Run Flow with Parameters…');
  assert.equal(commands.get('flowdeck.openFlowSource')?.title, 'Open Flow Source');
  assert.equal(commands.get('flowdeck.openDashboard')?.title, 'Open Dashboard');
  assert.equal(commands.get('flowdeck.createFlow')?.title, 'Create a Flow');
  assert.equal(commands.get('flowdeck.signInGitHub')?.title, 'Sign in to GitHub');
  assert.equal(commands.get('flowdeck.connectYouTube')?.title, 'Connect YouTube Account');
});

test('every contributed command is registered, and every registered command is contributed', () => {
  const registered = [...extensionSource.matchAll(/registerCommand\('([\w.]+)'/g)].map((m) => m[1]!);
  assert.deepEqual(registered.filter((id, i) => registered.indexOf(id) !== i), [], 'each command is registered once (a second registration throws at activation)');
  assert.deepEqual([...new Set(registered)].sort(), [...commands.keys()].sort());
  assert.deepEqual(c.commands.map((cmd) => cmd.command).filter((id, i, all) => all.indexOf(id) !== i), [], 'each command is contributed once');
});

test('menus refer only to contributed commands; commands that need a tree item are hidden from the palette', () => {
  for (const [menu, items] of Object.entries(c.menus)) for (const item of items) assert.ok(commands.has(item.command), `${menu}: ${item.command}`);
  const hidden = new Set(c.menus.commandPalette!.filter((i) => i.when === 'false').map((i) => i.command));
  for (const id of ['flowdeck.openFlowSource', 'flowdeck.cancelRun', 'flowdeck.rerunRun', 'flowdeck.showRunLogs', 'flowdeck.openRunInDashboard', 'flowdeck.deleteRun', 'flowdeck.openRunsRow']) {
    assert.ok(hidden.has(id), `${id} is hidden from the palette`);
  }
  for (const id of ['flowdeck.runFlow', 'flowdeck.openDashboard', 'flowdeck.createFlow']) assert.ok(!hidden.has(id), `${id} stays in the palette`);
});

test('the inline actions: Run Flow on flows; Cancel, Rerun and Show Logs on runs', () => {
  const inline = c.menus['view/item/context']!.filter((i) => i.group?.startsWith('inline')).map((i) => `${i.command} ${i.when}`);
  assert.ok(inline.some((l) => l.startsWith('flowdeck.runFlow ') && l.includes('view == flowdeck.flows')));
  for (const id of ['flowdeck.cancelRun', 'flowdeck.rerunRun', 'flowdeck.showRunLogs']) assert.ok(inline.some((l) => l.startsWith(`${id} `) && l.includes('view == flowdeck.runs')), id);
  for (const item of c.menus['view/item/context']!) assert.match(item.when ?? '', /viewItem =~ \/\\b\w+\\b\//, `${item.command} matches a whole context token`);
});

test('welcome content offers Create a Flow, Sign in to GitHub and Connect YouTube Account', () => {
  const text = c.viewsWelcome.map((w) => w.contents).join('\n');
  for (const [title, id] of [
    ['Create a Flow', 'flowdeck.createFlow'],
    ['Sign in to GitHub', 'flowdeck.signInGitHub'],
    ['Connect YouTube Account', 'flowdeck.connectYouTube'],
  ]) {
    assert.ok(text.includes(`[${title}](command:${id})`), title);
  }
  for (const m of text.matchAll(/\(command:([\w.]+)\)/g)) assert.ok(commands.has(m[1]!), m[1]);
});

test('activation waits for a view, a command or the restored dashboard', () => {
  assert.ok(!(pkg.activationEvents ?? []).includes('*'));
  assert.ok(!(pkg.activationEvents ?? []).some((e) => e.startsWith('onStartupFinished') || e.startsWith('workspaceContains')));
  assert.ok((pkg.activationEvents ?? []).includes('onWebviewPanel:flowdeck.dashboard'));
  assert.equal(pkg.main, './dist/extension.js');
});

test('settings and their defaults', () => {
  const p = c.configuration.properties;
  assert.equal(p['flowdeck.flowGlob']?.default, '**/*.flow.{ts,mts,js,mjs}');
  assert.equal(p['flowdeck.revealOutput']?.default, 'onRun');
  assert.equal(p['flowdeck.github.apiUrl']?.default, '');
  assert.equal(p['flowdeck.home']?.default, '');
  assert.equal(p['flowdeck.maxConcurrentRuns']?.default, 4);
  assert.equal(p['flowdeck.runHistoryLimit']?.default, 1000);
  for (const key of Object.keys(p)) assert.match(extensionSource, new RegExp(`'${key.replace('flowdeck.', '').replace('.', '\\.')}'`), `${key} is read`);
});

test('restricted mode is declared as limited support', () => {
  assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.ok(pkg.capabilities.untrustedWorkspaces.description);
});

// How many runs the history keeps too: built-in flows run in an untrusted workspace, and each run's end
// prunes the history it shares with the CLI and other windows (~/.flowdeck) to the setting.
test('an untrusted workspace cannot set which files are scanned, where the store is, which API is called, or how much history is kept', () => {
  assert.deepEqual([...(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations ?? [])].sort(), ['flowdeck.flowGlob', 'flowdeck.github.apiUrl', 'flowdeck.home', 'flowdeck.runHistoryLimit']);
});

test('no test or pure module of the extension imports vscode', () => {
  const pure = ['runs/present.ts', 'icons.ts', 'builtinFlows.ts', 'parameters/prompts.ts', 'output/lineBatcher.ts', 'util/throttle.ts', 'accounts/runEnv.ts', 'scaffold/helloFlow.ts', 'flows/flowRef.ts', 'flows/discoveryClient.ts', 'flows/discoveryWorker.ts', 'flows/discoveryProtocol.ts'];
  for (const f of pure) assert.doesNotMatch(readFileSync(join(ROOT, 'src', 'extension', f), 'utf8'), /from ['"]vscode['"]/, f);
  for (const f of sources(__dirname)) assert.doesNotMatch(readFileSync(f, 'utf8'), /from ['"]vscode['"]/, f);
});
