/** "Run on Workers…": with a Postgres store, queues the flow for `flowdeck worker`s instead of running it here. */
import * as vscode from 'vscode';
import { askQueue } from '../queueInput';
import { queuedFlowFor } from '../../engine/queuedFlow';
import { flowRefFrom } from '../flows/pickFlow';
import { neededParameters } from '../parameters/neededParameters';
import type { Flowdeck } from '../services';
import { refuseQueuedSecrets } from '../workers/queuedSecrets';

export function registerRunOnWorkers(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.runOnWorkers', (arg?: unknown) => runOnWorkers(flowdeck, context, arg)),
  );
}

async function runOnWorkers(flowdeck: Flowdeck, context: vscode.ExtensionContext, arg?: unknown): Promise<void> {
  const ref = await flowRefFrom(arg, flowdeck.flowIndex, 'Run on Workers');
  if (!ref) return;
  const store = await flowdeck.host.store();
  if (!store.shared) {
    void vscode.window.showInformationMessage('Run on Workers needs a Postgres store that workers share: set "flowdeck.store" to a postgres:// URL.');
    return;
  }
  const queue = await askQueue(context, `Run '${ref.flowName}' on Workers`, 'Queue (workers take runs from the queues they serve: flowdeck worker --queue NAME)');
  if (queue === undefined) return;
  const parameters = await neededParameters(ref.flowName, ref.parameters, 'Run the flow on workers again with other values.');
  if (parameters === undefined) return;
  const root = ref.source.kind === 'file' ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(ref.source.path))?.uri.fsPath : undefined;
  try {
    refuseQueuedSecrets(parameters, await flowdeck.host.knownSecrets(), ref.parameters);
    const flow = await queuedFlowFor(ref.source, root ?? '/', ref.flowName);
    const run = await store.shared.enqueue({ queue, parameters, ...flow });
    flowdeck.output.note(`Queued flow run '${run.name}' of flow '${run.flowName}' on queue '${queue}'`);
    flowdeck.host.refreshStore();
    void vscode.window.showInformationMessage(`Queued flow run '${run.name}' on queue '${queue}': a worker serving it will take it.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not queue '${ref.flowName}': ${(e as Error).message}`);
  }
}
