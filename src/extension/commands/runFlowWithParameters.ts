/** "Run Flow with Parameters…": asks for each declared parameter (or a JSON object), then runs. */
import * as vscode from 'vscode';
import { ParameterError } from '../../engine/parameters';
import { flowRefFrom } from '../flows/pickFlow';
import { promptParameters } from '../parameters/promptParameters';
import type { Flowdeck } from '../services';
import { canRun } from '../trust';

export function registerRunFlowWithParameters(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.runFlowWithParameters', (arg?: unknown) => runFlowWithParameters(flowdeck, arg)),
  );
}

async function runFlowWithParameters(flowdeck: Flowdeck, arg?: unknown): Promise<void> {
  const ref = await flowRefFrom(arg, flowdeck.flowIndex, 'Run Flow with Parameters');
  // Checked before the questions, so nobody fills in a form for a run that cannot start.
  if (!ref || !canRun(ref.source)) return;
  let parameters: Record<string, unknown> | undefined;
  try {
    parameters = await promptParameters(ref.flowName, ref.parameters);
  } catch (e) {
    if (!(e instanceof ParameterError)) throw e;
    void vscode.window.showErrorMessage(`${e.message}. Run the flow again with other values.`);
    return;
  }
  if (parameters === undefined) return;
  await flowdeck.launcher.run({ source: ref.source, flowName: ref.flowName, parameters });
}
