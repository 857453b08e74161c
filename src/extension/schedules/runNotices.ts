/**
 * Notifications of runs nobody watches in this window (scheduled runs, runs resumed by themselves) as
 * `flowdeck.notify` says, at most one per flow per minute (the engine's RunNotifier), with the actions
 * Show Logs, Retry from Failure and Open Flow.
 */
import * as vscode from 'vscode';
import type { Notice, NoticeSummary } from '../../engine/notify/notices';
import { RunNotifier } from '../../engine/notify/runNotifier';
import type { FlowRunSummary } from '../../engine/records';
import type { FlowdeckHost } from '../host';
import { readSettings } from '../settings';

const SHOW_LOGS = 'Show Logs';
const RETRY = 'Retry from Failure';
const OPEN_FLOW = 'Open Flow';

export class RunNotices implements vscode.Disposable {
  private notifier?: Promise<RunNotifier>;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly host: FlowdeckHost) {
    this.subscription = host.onDidChangeRun((run) => {
      if (run.parentRunId || !host.isUnwatched(run.id) || run.endTime === undefined) return;
      void this.ended(run);
    });
  }

  private async ended(run: FlowRunSummary): Promise<void> {
    this.notifier ??= this.host.store().then((store) => new RunNotifier(store, { policy: () => readSettings().notify, deliver: (n) => void show(n) }));
    await (await this.notifier).ended(run);
  }

  dispose(): void {
    this.subscription.dispose();
    void this.notifier?.then((n) => n.flush());
  }
}

async function show(notice: Notice | NoticeSummary): Promise<void> {
  const run = 'run' in notice ? notice.run : notice.latest;
  const failed = 'run' in notice ? notice.kind === 'failed' : notice.failed > 0;
  const actions = [SHOW_LOGS, ...(failed ? [RETRY] : []), ...(run.source.startsWith('builtin:') ? [] : [OPEN_FLOW])];
  const picked = await (failed ? vscode.window.showErrorMessage(notice.text, ...actions) : vscode.window.showInformationMessage(notice.text, ...actions));
  if (picked === SHOW_LOGS) await vscode.commands.executeCommand('flowdeck.showRunLogs', run.id);
  else if (picked === RETRY) await vscode.commands.executeCommand('flowdeck.retryFromFailure', run.id);
  else if (picked === OPEN_FLOW) await vscode.workspace.openTextDocument(run.source).then((doc) => vscode.window.showTextDocument(doc));
}
