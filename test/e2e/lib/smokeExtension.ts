/**
 * A throwaway extension that exercises what Flowdeck's UI uses (activity-bar container, tree view with an
 * inline action, palette commands, an output channel, a webview panel) — generated into a temp dir and
 * packaged with the repo's vsce. Only for proving the harness; not a product.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './codeServer';

const EXTENSION_JS = String.raw`
const vscode = require('vscode');

class Items {
  getTreeItem(item) { return item; }
  getChildren() {
    return ['Alpha item', 'Beta item', 'Gamma item'].map((label) => {
      const item = new vscode.TreeItem(label);
      item.id = label;
      item.contextValue = 'smokeItem';
      item.iconPath = new vscode.ThemeIcon('circle-filled');
      return item;
    });
  }
}

function activate(context) {
  const out = vscode.window.createOutputChannel('Smoke Output');
  out.appendLine('activated trusted=' + vscode.workspace.isTrusted + ' env=' + process.env.FLOWDECK_SMOKE_ENV);
  context.subscriptions.push(
    out,
    vscode.window.registerTreeDataProvider('smoke.tree', new Items()),
    vscode.commands.registerCommand('smoke.hello', () => {
      for (let i = 0; i < 400; i++) out.appendLine('line ' + i + ' of the smoke output');
      out.appendLine('HELLO-DONE trusted=' + vscode.workspace.isTrusted);
    }),
    vscode.commands.registerCommand('smoke.itemAction', (item) => {
      out.appendLine('inline action on ' + (item && item.label));
    }),
    vscode.commands.registerCommand('smoke.openPanel', () => {
      const panel = vscode.window.createWebviewPanel('smoke.panel', 'Smoke Panel', vscode.ViewColumn.One, { enableScripts: true });
      panel.webview.onDidReceiveMessage((msg) => out.appendLine('webview says ' + msg));
      panel.webview.html = '<!DOCTYPE html><html><body>'
        + '<h1 id="hello">Hello from the smoke webview</h1>'
        + '<button id="ping">Ping</button>'
        + '<script>const api = acquireVsCodeApi();'
        + 'document.getElementById("ping").addEventListener("click", () => api.postMessage("ping"));</script>'
        + '</body></html>';
    }),
  );
}

module.exports = { activate, deactivate() {} };
`;

const MANIFEST = {
  name: 'flowdeck-e2e-smoke',
  displayName: 'Flowdeck E2E Smoke',
  description: 'Throwaway extension that proves the e2e harness.',
  version: '0.0.1',
  publisher: 'flowdeck-e2e',
  license: 'MIT',
  repository: { type: 'git', url: 'https://example.invalid/flowdeck-e2e-smoke.git' },
  engines: { vscode: '^1.100.0' },
  main: './extension.js',
  activationEvents: [],
  capabilities: { untrustedWorkspaces: { supported: true } },
  contributes: {
    viewsContainers: { activitybar: [{ id: 'smoke', title: 'Smoke', icon: 'media/smoke.svg' }] },
    views: { smoke: [{ id: 'smoke.tree', name: 'Smoke Items' }] },
    commands: [
      { command: 'smoke.hello', title: 'Say Hello', category: 'Smoke' },
      { command: 'smoke.openPanel', title: 'Open Panel', category: 'Smoke' },
      { command: 'smoke.itemAction', title: 'Item Action', category: 'Smoke', icon: '$(zap)' },
    ],
    menus: {
      'view/item/context': [{ command: 'smoke.itemAction', when: 'view == smoke.tree && viewItem == smokeItem', group: 'inline' }],
      commandPalette: [{ command: 'smoke.itemAction', when: 'false' }],
    },
  },
};

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2"/></svg>\n';

/** Writes the extension into `dir` and packages it with the repo's vsce; returns the .vsix path. */
export function buildSmokeVsix(dir: string): string {
  fs.mkdirSync(path.join(dir, 'media'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(MANIFEST, null, 2));
  fs.writeFileSync(path.join(dir, 'extension.js'), EXTENSION_JS);
  fs.writeFileSync(path.join(dir, 'media', 'smoke.svg'), ICON_SVG);
  fs.writeFileSync(path.join(dir, 'README.md'), '# Flowdeck E2E Smoke\n\nThrowaway extension for the e2e harness.\n');
  fs.writeFileSync(path.join(dir, 'LICENSE'), 'MIT\n');
  const out = path.join(dir, 'smoke.vsix');
  execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--out', out], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out;
}

