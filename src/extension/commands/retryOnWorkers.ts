/**
 * "Retry on Workers…": with a Postgres store, a run that did not complete — run in this window, a terminal or
 * by workers — is resumed from its checkpoints by a `flowdeck worker` of the queue asked for, as `flowdeck
 * resume <run> --queue NAME` does; the Runs view shows it going there.
 */
import * as vscode from 'vscode';
import { queuedSourceOfRun } from '../../engine/queuedFlow';
import { askQueue } from '../queueInput';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerRetryOnWorkers(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(vscode.commands.registerCommand('flowdeck.retryOnWorkers', (arg?: unknown) => retryOnWorkers(flowdeck, context, arg)));
}

async function retryOnWorkers(flowdeck: Flowdeck, context: vscode.ExtensionContext, arg?: unknown): Promise<void> {
  const run = await runFrom(arg, flowdeck.host);
  if (!run) return;
  const store = await flowdeck.host.store();
  if (!store.shared) {
    void vscode.window.showInformationMessage('Retry on Workers needs a Postgres store that workers share: set "flowdeck.store" to a postgres:// URL.');
    return;
  }
  const queue = await askQueue(context, `Retry '${run.name}' on Workers`, 'Queue (a worker serving it resumes the run from its checkpoints: flowdeck worker --queue NAME)');
  if (queue === undefined) return;
  const file = run.source.startsWith('builtin:') ? undefined : vscode.Uri.file(run.source);
  const root = (file && vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath) ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '/';
  try {
    const source = await queuedSourceOfRun(run, root);
    const sent = await store.shared.resumeOnQueue(run.id, { queue, seen: { attempt: run.attempt, state: run.state.name }, ...(source ? { source } : {}) });
    if (sent.outcome !== 'queued') {
      const why = sent.outcome === 'resumed-already' ? 'it is being resumed already' : 'it is no longer as shown (another attempt, or another state): look again';
      void vscode.window.showWarningMessage(`Could not retry '${run.name}' on workers: ${why}.`);
      return;
    }
    flowdeck.output.note(`Flow run '${run.name}' goes back to queue '${queue}': a worker resumes it from its checkpoints`);
    flowdeck.host.refreshStore();
    void vscode.window.showInformationMessage(`Flow run '${run.name}' goes back to queue '${queue}': a worker resumes it from its checkpoints.`);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not retry '${run.name}' on workers: ${(e as Error).message}`);
  }
}
