/** "Run Flow": runs with the flow's default parameters, no questions asked. */
import * as vscode from 'vscode';
import { flowRefFrom } from '../flows/pickFlow';
import type { Flowdeck } from '../services';

export function registerRunFlow(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.runFlow', async (arg?: unknown) => {
      const ref = await flowRefFrom(arg, flowdeck.flowIndex, 'Run Flow');
      if (!ref) return;
      await flowdeck.launcher.run({ source: ref.source, flowName: ref.flowName });
    }),
  );
}
