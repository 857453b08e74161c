/**
 * "Flowdeck: Cached Results…" (`flowdeck cache ls|clear`): the results tasks keep for caching, a row per
 * task with how many, their size and the newest; a task's trash button clears its results (its next call
 * runs), and rows below clear the expired ones or all. Each clear asks first.
 */
import * as vscode from 'vscode';
import { ageText } from '../../engine/ageText';
import { bytesText } from '../../engine/bytesText';
import { isExpired, type CacheEntry } from '../../engine/resultCache';
import type { RunStore } from '../../engine/runStore';
import type { Flowdeck } from '../services';
import { listPick } from '../util/listPick';

type Clear = { what: string; detail: string; keyHashes: string[] };
type Item = vscode.QuickPickItem & { clear?: Clear };

const CLEAR: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: "Clear This Task's Cached Results" };
/** Results cached before Flowdeck kept their task's name. */
const UNNAMED = '(task not recorded)';

export function registerCachedResults(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(vscode.commands.registerCommand('flowdeck.cachedResults', () => cachedResults(flowdeck)));
}

function count(n: number): string {
  return `${n.toLocaleString()} result${n === 1 ? '' : 's'}`;
}

/** A row per task, most recently cached first, then the rows that clear expired results or all. */
export function cacheItems(entries: readonly CacheEntry[], now: number): Item[] {
  // Appended in place: a copy of the task's list at each entry made 100,000 results of one task (as many
  // as a listing reads) 267 s of the extension host's thread.
  const byTask = new Map<string, CacheEntry[]>();
  for (const e of entries) {
    const task = e.task ?? UNNAMED;
    const list = byTask.get(task);
    if (list) list.push(e);
    else byTask.set(task, [e]);
  }
  const items: Item[] = [...byTask].map(([task, list]) => {
    const bytes = list.reduce((n, e) => n + e.bytes, 0);
    // Not Math.max(...list): as many arguments as entries.
    const newest = list.reduce((n, e) => Math.max(n, e.created ?? 0), 0);
    const expired = list.filter((e) => isExpired(e, now)).length;
    const clear: Clear = { what: task === UNNAMED ? 'the cached results whose task was not recorded' : `the cached results of task '${task}'`, detail: `${count(list.length)}, ${bytesText(bytes)}. Its next call runs and caches its result anew.`, keyHashes: list.map((e) => e.keyHash) };
    return {
      label: task,
      description: `${count(list.length)} · ${bytesText(bytes)}${expired > 0 ? ` · ${expired.toLocaleString()} expired` : ''}`,
      detail: newest > 0 ? `newest cached ${ageText(now - newest)}` : undefined,
      buttons: [CLEAR],
      clear,
    };
  });
  const expired = entries.filter((e) => isExpired(e, now));
  if (expired.length > 0) {
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: `$(clock) Clear Expired Results (${expired.length.toLocaleString()})`, description: 'never returned; purged once a day anyway', alwaysShow: true, clear: { what: 'the expired cached results', detail: `${count(expired.length)}, ${bytesText(expired.reduce((n, e) => n + e.bytes, 0))}.`, keyHashes: expired.map((e) => e.keyHash) } });
  }
  if (entries.length > 0) {
    if (expired.length === 0) items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    items.push({ label: '$(trash) Clear All Cached Results…', alwaysShow: true, clear: { what: 'every cached result', detail: `${count(entries.length)}, ${bytesText(entries.reduce((n, e) => n + e.bytes, 0))}. Every cached task runs on its next call.`, keyHashes: entries.map((e) => e.keyHash) } });
  }
  return items;
}

async function confirmAndClear(store: RunStore, clear: Clear): Promise<void> {
  const choice = await vscode.window.showWarningMessage(`Clear ${clear.what}?`, { modal: true, detail: clear.detail }, 'Clear');
  if (choice !== 'Clear') return;
  const removed = await store.cache.remove(clear.keyHashes);
  void vscode.window.showInformationMessage(`Cleared ${count(removed)} from the cache.`);
}

async function cachedResults(flowdeck: Flowdeck): Promise<void> {
  const store = await flowdeck.host.store();
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'Flowdeck Cached Results';
  pick.matchOnDescription = true;
  const load = async (): Promise<void> => {
    pick.busy = true;
    const entries = await store.cache.entries();
    pick.items = cacheItems(entries, Date.now());
    pick.placeholder =
      entries.length === 0 ? 'No cached results. Tasks with a cacheKey (task({ cacheKey: taskInputHash })) keep theirs here.' : 'Pick a task to clear its cached results (its trash button too); each clear asks first';
    pick.busy = false;
  };
  const picked = await listPick(pick, load, async (item) => {
    if (item.clear) await confirmAndClear(store, item.clear);
  });
  if (picked?.clear) await confirmAndClear(store, picked.clear);
}
