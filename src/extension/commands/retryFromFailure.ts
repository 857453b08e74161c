/**
 * "Retry from Failure": resumes a Failed, TimedOut, Crashed or Cancelled run as a new attempt of the same
 * run, reusing its completed task runs. The engine side is `FlowdeckHost.resume` (the resume issue); until
 * a host offers it, the command says so instead of pretending.
 */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

/** What this command needs from the host. */
interface Resumable {
  resume(runId: string): Promise<unknown>;
}

function canResume(host: object): host is Resumable {
  return typeof (host as Partial<Resumable>).resume === 'function';
}

export function registerRetryFromFailure(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.retryFromFailure', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (!run) return;
      if (run.state.type === 'COMPLETED') {
        void vscode.window.showInformationMessage(`Flow run '${run.name}' completed; there is nothing to retry. Rerun starts it again from the beginning.`);
        return;
      }
      const host: object = flowdeck.host;
      if (!canResume(host)) {
        void vscode.window.showWarningMessage(`This version of Flowdeck cannot resume runs yet, so flow run '${run.name}' was not retried. Rerun starts it again from the beginning.`, 'Rerun').then(
          (choice) => choice && vscode.commands.executeCommand('flowdeck.rerunRun', run.id),
        );
        return;
      }
      try {
        await host.resume(run.id);
      } catch (e) {
        void vscode.window.showErrorMessage(`Could not retry flow run '${run.name}': ${(e as Error).message}`);
      }
    }),
  );
}
