/** "Show Logs": the run's log as a read-only document of its own, growing while the run goes. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerShowRunLogs(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.showRunLogs', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (run) await flowdeck.runLogs.show(run);
    }),
  );
}
