/**
 * "Group Runs by Flow" / "Show Runs as List": the Runs view's title-bar toggle. Grouped is the default; the
 * choice is remembered for every window.
 */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';

const GROUPED_KEY = 'flowdeck.runs.grouped';

/** Applies the remembered choice to the Runs view (call once at activation). */
export function restoreRunsGrouping(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  apply(context, flowdeck, context.globalState.get<boolean>(GROUPED_KEY, true) !== false);
}

function apply(context: vscode.ExtensionContext, flowdeck: Flowdeck, grouped: boolean): void {
  flowdeck.runsTree.setGrouped(grouped);
  void vscode.commands.executeCommand('setContext', 'flowdeck.runsGrouped', grouped);
  void context.globalState.update(GROUPED_KEY, grouped);
}

export function registerGroupRuns(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.groupRunsByFlow', () => apply(context, flowdeck, true)),
    vscode.commands.registerCommand('flowdeck.showRunsAsList', () => apply(context, flowdeck, false)),
  );
}
