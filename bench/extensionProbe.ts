/**
 * One round of the extension figure, in a fresh process (bench/extension.ts bundles and runs it):
 * `node probe.js <dist> <home>`. Loads dist/extension.js against the vscode stand-in, calls activate(),
 * then opens the Runs view as VS Code does — the top-level rows, then the rows of each expanded one —
 * for the first time (after its store has opened, timed apart), then again, then as one flat list. Prints JSON.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { installVscodeStandIn } from './vscodeStandIn';

interface TreeProvider {
  getChildren(node?: unknown): Promise<{ collapsibleState?: number }[]>;
  getTreeItem(node: unknown): unknown;
  setGrouped(grouped: boolean): void;
}

const EXPANDED = 2;

/** What the view shows on opening: its rows and those of every row that opens expanded. */
async function openView(provider: TreeProvider): Promise<number> {
  const roots = await provider.getChildren();
  roots.forEach((r) => provider.getTreeItem(r));
  const pages = await Promise.all(roots.filter((r) => r.collapsibleState === EXPANDED).map((r) => provider.getChildren(r)));
  for (const page of pages) page.forEach((r) => provider.getTreeItem(r));
  return roots.length + pages.reduce((n, p) => n + p.length, 0);
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const value = await fn();
  return [performance.now() - t0, value];
}

async function main(): Promise<void> {
  const [dist, home] = process.argv.slice(2) as [string, string];
  process.env.FLOWDECK_HOME = home;
  const vscode = installVscodeStandIn();
  // The extension host has run timers long before it activates an extension; this fresh process has not,
  // and Node's first setTimeout (~0.5 ms of its own setup) would be counted as activate()'s.
  clearTimeout(setTimeout(() => undefined, 0));
  let t0 = performance.now();
  const extension = createRequire(__filename)(join(dist, 'extension.js')) as { activate(context: unknown): void; deactivate(): Promise<void> | undefined };
  const loadMs = performance.now() - t0;
  t0 = performance.now();
  extension.activate(vscode.context(join(dist, '..')));
  const activateMs = performance.now() - t0;
  const provider = vscode.treeViews.get('flowdeck.runs')?.provider as TreeProvider | undefined;
  if (!provider) throw new Error('activate() created no Runs view');
  // The store opens on the view's first question (activation opens nothing): timed apart, as the bench's
  // store-open figure times it; then the view's own first opening over it.
  const [storeOpenMs] = await timed(() => (provider as unknown as { host: { store(): Promise<unknown> } }).host.store());
  const [firstOpenMs, firstRows] = await timed(() => openView(provider));
  if (firstRows < 3) throw new Error(`the Runs view showed ${firstRows} rows over a store of many runs`);
  const [openMs, rows] = await timed(() => openView(provider));
  provider.setGrouped(false);
  const [flatOpenMs, flatRows] = await timed(() => openView(provider));
  await extension.deactivate();
  process.stdout.write(`${JSON.stringify({ loadMs, activateMs, storeOpenMs, firstOpenMs, firstRows, openMs, rows, flatOpenMs, flatRows })}\n`);
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
