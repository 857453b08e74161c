/**
 * "Run Flow": runs with the flow's default parameters, asking only for those it cannot run without.
 * "Run Flow, Refreshing Cache": the same, its cached tasks run and replace their cached results.
 */
import * as vscode from 'vscode';
import { flowRefFrom } from '../flows/pickFlow';
import { neededParameters } from '../parameters/neededParameters';
import type { Flowdeck } from '../services';
import { canRun } from '../trust';

export function registerRunFlow(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  const run = async (arg: unknown, title: string, refreshCache: boolean): Promise<void> => {
    const ref = await flowRefFrom(arg, flowdeck.flowIndex, title);
    // Checked before any question, so nobody fills in a form for a run that cannot start.
    if (!ref || !canRun(ref.source)) return;
    const parameters = await neededParameters(ref.flowName, ref.parameters, 'Run the flow again with other values.');
    if (parameters === undefined) return;
    await flowdeck.launcher.run({ source: ref.source, flowName: ref.flowName, ...(Object.keys(parameters).length > 0 ? { parameters } : {}), ...(refreshCache ? { refreshCache } : {}) });
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.runFlow', (arg?: unknown) => run(arg, 'Run Flow', false)),
    vscode.commands.registerCommand('flowdeck.runFlowRefreshingCache', (arg?: unknown) => run(arg, 'Run Flow, Refreshing Cache', true)),
  );
}
