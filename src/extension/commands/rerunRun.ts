/** "Rerun": the same flow with the same parameters and tags, as a new run. Crashed runs are rerun this way too. */
import * as vscode from 'vscode';
import { sourceOfRun } from '../flows/flowRef';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerRerunRun(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.rerunRun', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (!run) return;
      // Its parameters: its journal's first record alone.
      const parameters = await (await flowdeck.host.store()).parametersOf(run.id);
      if (!parameters) {
        void vscode.window.showErrorMessage(`Could not read the parameters of run '${run.name}' (its journal's first record is missing or unreadable), so it was not rerun. Use "Run Flow with Parameters" on '${run.flowName}' instead.`);
        return;
      }
      // And its tags (a terminal's `--tag` ones too): the rerun is found where it was.
      await flowdeck.launcher.run({ source: sourceOfRun(run.source), flowName: run.flowName, parameters, ...(run.tags ? { tags: run.tags } : {}) });
    }),
  );
}
