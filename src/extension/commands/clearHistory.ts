/** "Clear History": deletes every finished run. Runs still going (here, in other windows, in the CLI) stay. */
import * as vscode from 'vscode';
import type { FlowRunSummary } from '../../engine/records';
import { isTerminal } from '../../engine/states';
import type { Flowdeck } from '../services';

export function registerClearHistory(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.clearHistory', async () => {
      const store = flowdeck.host.store;
      const all = store.list();
      const byId = new Map(all.map((r) => [r.id, r]));
      const rootOf = (run: FlowRunSummary): FlowRunSummary => {
        let current = run;
        for (let depth = 0; current.parentRunId && byId.has(current.parentRunId) && depth < 100; depth++) current = byId.get(current.parentRunId)!;
        return current;
      };
      // A finished subflow of a run still going stays with its run.
      const ids = all.filter((r) => isTerminal(rootOf(r).state.type)).map((r) => r.id);
      const finishedRoots = all.filter((r) => !r.parentRunId && isTerminal(r.state.type)).length;
      if (finishedRoots === 0) {
        void vscode.window.showInformationMessage('There are no finished runs to clear.');
        return;
      }
      const choice = await vscode.window.showWarningMessage(
        `Delete all ${finishedRoots} finished flow run${finishedRoots === 1 ? '' : 's'}?`,
        { modal: true, detail: `Their logs and results are deleted too. The history at ${store.home} is shared with the Flowdeck CLI and other windows.` },
        'Clear History',
      );
      if (choice !== 'Clear History') return;
      flowdeck.host.deleteRuns(ids);
    }),
  );
}
