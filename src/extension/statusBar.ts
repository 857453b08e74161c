/**
 * "$(sync~spin) 2 flows running" while runs of this window are going, with the run's progress when one
 * run reports any ("1 flow running · 45%"), and the runs paused waiting for the user ("$(debug-pause) 1 flow
 * paused", on the warning colour); a click shows the Runs view. Its tooltip lists the paused runs, each run's
 * progress, and names the next scheduled run.
 */
import * as vscode from 'vscode';
import type { FlowdeckHost } from './host';
import { pausedRunLine, runningText, runProgressLine } from './runs/present';
import type { WindowSchedules } from './schedules/windowSchedules';

export function registerStatusBar(context: vscode.ExtensionContext, host: FlowdeckHost, schedules: WindowSchedules): void {
  // Made when a run first starts (not at activation): many windows run nothing for a long while.
  let item: RunningItem | undefined;
  const redraw = (): void => {
    const count = host.activeCount;
    if (count === 0) {
      item?.item.hide();
      return;
    }
    item ??= runningItem(context, schedules);
    const progress = host.activeProgress;
    const paused = host.pausedRuns;
    item.item.text = runningText(count, count === 1 ? progress[0]?.progress : undefined, paused.length);
    // A paused run waits for the user: the item stands out until it goes on.
    item.item.backgroundColor = paused.length > 0 ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    item.setProgress([...paused.map(pausedRunLine), ...progress.map(runProgressLine)]);
    item.item.show();
  };
  context.subscriptions.push(host.onDidChangeActiveCount(redraw), host.onDidChangeProgress(redraw));
}

interface RunningItem {
  item: vscode.StatusBarItem;
  setProgress(lines: string[]): void;
}

function runningItem(context: vscode.ExtensionContext, schedules: WindowSchedules): RunningItem {
  const item = vscode.window.createStatusBarItem('flowdeck.running', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Flowdeck Runs';
  item.command = 'flowdeck.runs.focus';
  let progress: string[] = [];
  let next = '';
  const tooltip = (): void => {
    item.tooltip = ['Show the Flowdeck Runs view', ...progress, ...(next ? [next] : [])].join('\n');
  };
  const nextRun = async (): Promise<void> => {
    const soonest = (await schedules.views().catch(() => [])).filter((v) => v.next !== undefined).sort((a, b) => a.next! - b.next!)[0];
    next = soonest ? `Next scheduled run: ${soonest.entry.flowName} at ${new Date(soonest.next!).toLocaleString()}` : '';
    tooltip();
  };
  tooltip();
  context.subscriptions.push(item, schedules.onDidChange(() => void nextRun()));
  void nextRun();
  return {
    item,
    setProgress: (lines) => {
      progress = lines;
      tooltip();
    },
  };
}
