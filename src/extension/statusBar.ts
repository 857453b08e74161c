/**
 * "$(sync~spin) 2 flows running" while runs of this window are going; a click shows the Runs view. Its
 * tooltip names the next scheduled run.
 */
import * as vscode from 'vscode';
import type { FlowdeckHost } from './host';
import { runningText } from './runs/present';
import type { WindowSchedules } from './schedules/windowSchedules';

export function registerStatusBar(context: vscode.ExtensionContext, host: FlowdeckHost, schedules: WindowSchedules): void {
  // Made when a run first starts (not at activation): many windows run nothing for a long while.
  let item: vscode.StatusBarItem | undefined;
  context.subscriptions.push(
    host.onDidChangeActiveCount((count) => {
      if (count === 0) {
        item?.hide();
        return;
      }
      item ??= runningItem(context, schedules);
      item.text = runningText(count);
      item.show();
    }),
  );
}

function runningItem(context: vscode.ExtensionContext, schedules: WindowSchedules): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('flowdeck.running', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Flowdeck Runs';
  item.command = 'flowdeck.runs.focus';
  item.tooltip = 'Show the Flowdeck Runs view';
  const nextRun = async (): Promise<void> => {
    const next = (await schedules.views().catch(() => [])).filter((v) => v.next !== undefined).sort((a, b) => a.next! - b.next!)[0];
    item.tooltip = `Show the Flowdeck Runs view${next ? `\nNext scheduled run: ${next.entry.flowName} at ${new Date(next.next!).toLocaleString()}` : ''}`;
  };
  context.subscriptions.push(item, schedules.onDidChange(() => void nextRun()));
  void nextRun();
  return item;
}
