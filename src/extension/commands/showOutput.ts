/** "Show Output": the Flowdeck output channel with every run's logs. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

export function registerShowOutput(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(vscode.commands.registerCommand('flowdeck.showOutput', () => flowdeck.output.reveal()));
}
