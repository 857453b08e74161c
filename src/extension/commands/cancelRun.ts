/** "Cancel Run": the run goes to Cancelling, its flow's AbortSignal fires, and its worker stops. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerCancelRun(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.cancelRun', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (!run) return;
      if (!flowdeck.host.cancel(run.id)) {
        void vscode.window.showInformationMessage(
          `Flow run '${run.name}' is ${run.state.name} and cannot be cancelled from this window: the store is open read-only here. Cancel it with \`flowdeck cancel ${run.name}\` in a terminal.`,
        );
      }
    }),
  );
}
