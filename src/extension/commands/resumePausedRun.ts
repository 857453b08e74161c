/**
 * "Resume Run": a run its flow paused (pauseFlowRun) goes on — asked for the input it waits for, one input
 * box each (checked as the run will check it), then resumed in this window or wherever it runs. A run its
 * flow suspended (suspendFlowRun) runs in this window from its checkpoints, with that input.
 */
import * as vscode from 'vscode';
import type { FlowRunSummary } from '../../engine/records';
import type { Flowdeck } from '../services';
import { promptInput } from '../parameters/promptParameters';
import { runFrom } from './runArg';

export function registerResumePausedRun(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.resumePausedRun', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (run) await resumePausedRun(flowdeck, run);
    }),
  );
}

/** Asks for the input `run` waits for and resumes it; says why not when it cannot. */
export async function resumePausedRun(flowdeck: Flowdeck, run: FlowRunSummary): Promise<void> {
  if (run.state.type !== 'PAUSED') {
    void vscode.window.showInformationMessage(`Flow run '${run.name}' is not paused (${run.state.name}): nothing to resume.`);
    return;
  }
  let input: Record<string, unknown> | undefined;
  try {
    // What it waits for is on its Paused state, as listed: no need to read its journal.
    input = await promptInput(run.name, run.state.pause?.input, run.state.message);
  } catch (e) {
    void vscode.window.showErrorMessage((e as Error).message);
    return;
  }
  if (input === undefined) return;
  // Suspended: nothing runs it. One that workers ran goes back to its queue; any other runs in this window,
  // from its checkpoints, its suspension given the input.
  if (run.state.name === 'Suspended') {
    const queued = await flowdeck.host.resumeOnQueue(run.id, input).catch((e: Error) => e);
    if (queued instanceof Error) void vscode.window.showWarningMessage(`Could not resume flow run '${run.name}': ${queued.message}`);
    else if (queued?.outcome === 'queued') void vscode.window.showInformationMessage(`Flow run '${run.name}' goes back to queue '${queued.queue}': a worker resumes it from its checkpoints.`);
    else if (queued !== undefined) void vscode.window.showWarningMessage(`Could not resume flow run '${run.name}': ${queued.outcome === 'resumed-already' ? 'it was resumed already, and waits for a worker of its queue' : 'it is no longer suspended'}.`);
    else await flowdeck.launcher.resume(run, { input });
    return;
  }
  const why = await flowdeck.host.resumePaused(run.id, input).catch((e: Error) => e.message);
  if (why !== undefined) void vscode.window.showWarningMessage(`Could not resume flow run '${run.name}': ${why}`);
}
