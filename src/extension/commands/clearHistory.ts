/** "Clear History": deletes every finished run. Runs still going (here, in other windows, in the CLI) stay. */
import * as vscode from 'vscode';
import { isTerminal } from '../../engine/states';
import type { Flowdeck } from '../services';
import { keptMessage } from './deleteRun';

export function registerClearHistory(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.clearHistory', () => clearHistory(flowdeck)),
  );
}

async function clearHistory(flowdeck: Flowdeck): Promise<void> {
  const store = await flowdeck.host.store();
  // A finished subflow of a run still going stays with its run: the store deletes subflows with their root.
  const ids = (await store.list({ rootsOnly: true })).filter((r) => isTerminal(r.state.type)).map((r) => r.id);
  const finishedRoots = ids.length;
  if (finishedRoots === 0) {
    void vscode.window.showInformationMessage('There are no finished runs to clear.');
    return;
  }
  const choice = await vscode.window.showWarningMessage(
    `Delete all ${finishedRoots} finished flow run${finishedRoots === 1 ? '' : 's'}?`,
    { modal: true, detail: `Their logs and results are deleted too. The history at ${store.location} is shared with the Flowdeck CLI and other windows.` },
    'Clear History',
  );
  if (choice !== 'Clear History') return;
  const deleted = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Deleting ${finishedRoots} finished flow run${finishedRoots === 1 ? '' : 's'}…` },
    () => flowdeck.host.deleteRuns(ids),
  );
  // A run another process began to resume meanwhile stays (deleted lists subflow runs too).
  const gone = new Set(deleted);
  const keptIds = new Set(ids.filter((id) => !gone.has(id)));
  if (keptIds.size === 0) return;
  const kept = (await store.list({ rootsOnly: true })).filter((r) => keptIds.has(r.id));
  if (kept.length > 0) void vscode.window.showInformationMessage(keptMessage(kept));
}
