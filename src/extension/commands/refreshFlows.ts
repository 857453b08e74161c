/** "Refresh Flows": scans the workspace for flow files again (the watcher normally keeps up by itself). */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

export function registerRefreshFlows(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(vscode.commands.registerCommand('flowdeck.refreshFlows', () => flowdeck.flowIndex.rescan()));
}
