/** "Refresh Runs": rereads the store (the watcher normally picks up other processes' runs by itself). */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

export function registerRefreshRuns(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.refreshRuns', () => {
      flowdeck.host.refreshStore();
      flowdeck.runsTree.refresh();
    }),
  );
}
