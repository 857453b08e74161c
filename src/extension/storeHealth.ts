/**
 * A shared (Postgres) store that cannot be reached: a warning in the status bar while it lasts and one
 * message saying what went wrong and what to do; views keep showing what they had.
 */
import * as vscode from 'vscode';
import type { FlowdeckHost } from './host';
import type { RunOutput } from './output/runOutput';

export function registerStoreHealth(context: vscode.ExtensionContext, host: FlowdeckHost, output: RunOutput): void {
  // Made the first time the store is out of reach (not at activation): most windows never see it.
  let item: vscode.StatusBarItem | undefined;
  let down = false;
  context.subscriptions.push(
    host.onDidChangeStoreHealth((health) => {
      if (health.ok) {
        item?.hide();
        if (down) output.note('The Flowdeck store is reachable again.');
        down = false;
        return;
      }
      item ??= warningItem(context);
      item.tooltip = `${health.message ?? 'The Flowdeck store cannot be reached.'}\nThe views show what they had; they catch up when the connection is back.`;
      item.show();
      if (!down) {
        down = true;
        const message = `Flowdeck cannot reach its store: ${health.message ?? 'the connection was lost'}. Runs shown may be out of date until it is back; check the network and the "flowdeck.store" setting.`;
        output.note(message, 'WARNING');
        void vscode.window.showWarningMessage(message);
      }
    }),
  );
}

function warningItem(context: vscode.ExtensionContext): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('flowdeck.storeHealth', vscode.StatusBarAlignment.Left, 9);
  item.name = 'Flowdeck Store';
  item.text = '$(warning) Flowdeck store unreachable';
  item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
  item.command = 'flowdeck.showOutput';
  context.subscriptions.push(item);
  return item;
}
