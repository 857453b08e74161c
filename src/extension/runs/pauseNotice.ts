/**
 * When a run of this window pauses (pauseFlowRun) or is suspended (suspendFlowRun), a notification says what it waits for, with the ways on:
 * Resume… (its input asked for, one box each), Open Run, Cancel Run. Once per pause: a run that pauses
 * again is told again. Runs of other processes show Paused in the Runs view, where Resume Run is too.
 */
import * as vscode from 'vscode';
import { pauseAbout, pausedWord } from '../../engine/pauseInput';
import type { FlowRunSummary } from '../../engine/records';
import type { Flowdeck } from '../services';
import { resumePausedRun } from '../commands/resumePausedRun';
import { newer } from '../commands/runArg';

const RESUME = 'Resume…';
const OPEN_RUN = 'Open Run';
const CANCEL = 'Cancel Run';

export function registerPauseNotice(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  /** The pause (its Paused state's time) each run was last told of. */
  const told = new Map<string, number>();
  context.subscriptions.push(
    flowdeck.host.onDidChangeRun((run) => {
      if (run.state.type !== 'PAUSED') {
        told.delete(run.id);
        return;
      }
      if (told.get(run.id) === run.state.timestamp) return;
      told.set(run.id, run.state.timestamp);
      void notice(flowdeck, run);
    }),
  );
}

async function notice(flowdeck: Flowdeck, run: FlowRunSummary): Promise<void> {
  const what = pauseAbout(run.state.message?.slice(0, 300)) || ', waiting to be resumed';
  const actions = [RESUME, OPEN_RUN, ...(run.parentRunId === undefined ? [CANCEL] : [])];
  const choice = await vscode.window.showInformationMessage(`Flow run '${run.name}' of flow '${run.flowName}' is ${pausedWord(run.state)}${what}`, ...actions);
  if (choice === RESUME) {
    // As it is now: resumed or ended meanwhile, it says so.
    const latest = newer((await (await flowdeck.host.store()).get(run.id)) ?? run, run);
    await resumePausedRun(flowdeck, latest);
  } else if (choice === OPEN_RUN) await vscode.commands.executeCommand('flowdeck.openRun', run.id);
  else if (choice === CANCEL) await vscode.commands.executeCommand('flowdeck.cancelRun', run.id);
}
