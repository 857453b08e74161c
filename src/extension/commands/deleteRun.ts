/** "Delete Run": removes finished runs (with their subflow runs, logs and results) from the history. */
import * as vscode from 'vscode';
import { isTerminal } from '../../engine/states';
import type { Flowdeck } from '../services';
import { runsFrom } from './runArg';

export function registerDeleteRun(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.deleteRun', async (arg?: unknown, selected?: unknown) => {
      const runs = (await runsFrom(arg, selected, flowdeck.host)).filter((r) => isTerminal(r.state.type));
      if (runs.length === 0) return;
      const what = runs.length === 1 ? `flow run '${runs[0]!.name}'` : `${runs.length} flow runs`;
      const choice = await vscode.window.showWarningMessage(`Delete ${what}?`, { modal: true, detail: 'Its logs and results are deleted too. This cannot be undone.' }, 'Delete');
      if (choice !== 'Delete') return;
      // The store deletes each run's subflows with it; a run another process began to resume meanwhile stays.
      const deleted = new Set(await flowdeck.host.deleteRuns(runs.map((r) => r.id)));
      const kept = runs.filter((r) => !deleted.has(r.id));
      if (kept.length > 0) void vscode.window.showInformationMessage(keptMessage(kept));
    }),
  );
}

/** Why runs asked to be deleted are still there: another process is resuming them. */
export function keptMessage(kept: readonly { name: string }[]): string {
  return kept.length === 1
    ? `Flow run '${kept[0]!.name}' was not deleted: it is being resumed. Delete it once it ends.`
    : `${kept.length} flow runs were not deleted: they are being resumed. Delete them once they end.`;
}
