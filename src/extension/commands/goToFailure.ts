/**
 * "Go to Failure": opens the user's file at the line where a failed run (or task run) failed — the first
 * frame of its stack in the user's code, source-mapped to the .ts line.
 */
import * as vscode from 'vscode';
import { readFailedRun } from '../failures/failedRun';
import { failureSiteOf } from '../failures/failureSite';
import { runFailureSiteOf } from '../failures/subflowFailure';
import { TaskRunNode } from '../runs/runsTree';
import { openAt } from '../runs/launcher';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

/** `{ runId, taskRunId? }` from a webview or a test. */
function taskArgument(arg: unknown): { runId: string; taskRunId?: string } | undefined {
  if (arg instanceof TaskRunNode) return { runId: arg.parent.run.id, taskRunId: arg.task.id };
  if (typeof arg !== 'object' || arg === null) return undefined;
  const v = arg as Record<string, unknown>;
  if (typeof v.runId !== 'string' || v.runId.length > 200) return undefined;
  return typeof v.taskRunId === 'string' && v.taskRunId.length <= 200 ? { runId: v.runId, taskRunId: v.taskRunId } : { runId: v.runId };
}

export function registerGoToFailure(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.goToFailure', (arg?: unknown) => goToFailure(flowdeck, arg)),
  );
}

async function goToFailure(flowdeck: Flowdeck, arg?: unknown): Promise<void> {
  const target = taskArgument(arg);
  const run = await runFrom(target?.runId ?? arg, flowdeck.host);
  if (!run) return;
  const detail = await readFailedRun(await flowdeck.host.store(), run.id, target?.taskRunId);
  // A run failed by a subflow run it awaited: the line is that run's (or one further down).
  const site = detail && (target?.taskRunId !== undefined ? failureSiteOf(detail, target.taskRunId) : await runFailureSiteOf(() => flowdeck.host.store(), detail));
  if (!site) {
    const choice = await vscode.window.showInformationMessage(
      `Flow run '${run.name}' (${run.state.name}) has no failure in your code to go to: nothing it threw came from a line of a flow file. Its log says what happened.`,
      'Show Logs',
    );
    if (choice) await vscode.commands.executeCommand('flowdeck.showRunLogs', run.id);
    return;
  }
  await openAt(site.file, site.line, site.column);
}
