/** "Clear Filter": shows every run again. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

export function registerClearRunsFilter(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(vscode.commands.registerCommand('flowdeck.clearRunsFilter', () => flowdeck.runsTree.setFilter({})));
}
