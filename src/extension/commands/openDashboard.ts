/** "Open Dashboard": the charts of the built-in flows, recent runs and live logs. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

export function registerOpenDashboard(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(vscode.commands.registerCommand('flowdeck.openDashboard', () => flowdeck.dashboard.show()));
}
