/** "Clear History": deletes every finished run. Runs still going (here, in other windows, in the CLI) stay. */
import * as vscode from 'vscode';
import { isTerminal } from '../../engine/states';
import type { Flowdeck } from '../services';

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
  await flowdeck.host.deleteRuns(ids);
}
