/** "Run Flow": runs with the flow's default parameters, asking only for those it cannot run without. */
import * as vscode from 'vscode';
import { flowRefFrom } from '../flows/pickFlow';
import { neededParameters } from '../parameters/neededParameters';
import type { Flowdeck } from '../services';
import { canRun } from '../trust';

export function registerRunFlow(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.runFlow', async (arg?: unknown) => {
      const ref = await flowRefFrom(arg, flowdeck.flowIndex, 'Run Flow');
      // Checked before any question, so nobody fills in a form for a run that cannot start.
      if (!ref || !canRun(ref.source)) return;
      const parameters = await neededParameters(ref.flowName, ref.parameters, 'Run the flow again with other values.');
      if (parameters === undefined) return;
      await flowdeck.launcher.run({ source: ref.source, flowName: ref.flowName, ...(Object.keys(parameters).length > 0 ? { parameters } : {}) });
    }),
  );
}
