/** "Open in Dashboard": the dashboard with this run selected (its logs, and its charts when it has some). */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerOpenRunInDashboard(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.openRunInDashboard', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (run) flowdeck.dashboard.show(run.id);
    }),
  );
}
