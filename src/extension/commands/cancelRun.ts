/**
 * "Cancel Run": the run goes to Cancelling, its flow's AbortSignal fires, and its worker stops — in this
 * window, or in whichever process runs it (the request reaches it through the store).
 */
import * as vscode from 'vscode';
import { isTerminal } from '../../engine/states';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerCancelRun(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.cancelRun', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (!run) return;
      if (isTerminal(run.state.type)) {
        void vscode.window.showInformationMessage(`Flow run '${run.name}' has already ended (${run.state.name}): nothing to cancel.`);
        return;
      }
      if (run.parentRunId !== undefined) {
        void vscode.window.showInformationMessage(`Flow run '${run.name}' is a subflow run: cancel the run it belongs to, which stops its subflows with it.`);
        return;
      }
      if (!flowdeck.host.cancel(run.id)) {
        void vscode.window.showInformationMessage(`Flow run '${run.name}' cannot be cancelled from this window: its store is not open here. Cancel it with \`flowdeck cancel ${run.name}\` in a terminal.`);
      }
    }),
  );
}
