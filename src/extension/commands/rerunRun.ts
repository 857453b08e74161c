/** "Rerun": the same flow with the same parameters, as a new run. Crashed runs are rerun this way too. */
import * as vscode from 'vscode';
import { sourceOfRun } from '../flows/flowRef';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerRerunRun(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.rerunRun', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (!run) return;
      // Its parameters, without reading its task runs.
      const parts = await (await flowdeck.host.store()).readRunParts(run.id);
      await flowdeck.launcher.run({ source: sourceOfRun(run.source), flowName: run.flowName, parameters: parts?.detail.parameters ?? {} });
    }),
  );
}
