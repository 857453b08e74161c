/** "$(sync~spin) 2 flows running" while runs of this window are going; a click shows the Runs view. */
import * as vscode from 'vscode';
import type { FlowdeckHost } from './host';
import { runningText } from './runs/present';

export function registerStatusBar(context: vscode.ExtensionContext, host: FlowdeckHost): void {
  const item = vscode.window.createStatusBarItem('flowdeck.running', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Flowdeck Runs';
  item.command = 'flowdeck.runs.focus';
  item.tooltip = 'Show the Flowdeck Runs view';
  context.subscriptions.push(
    item,
    host.onDidChangeActiveCount((count) => {
      if (count === 0) {
        item.hide();
        return;
      }
      item.text = runningText(count);
      item.show();
    }),
  );
}
