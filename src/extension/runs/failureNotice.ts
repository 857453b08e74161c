/**
 * When a run started from the editor ends Failed, TimedOut or Crashed, a notification says so, with the
 * ways on: the run's details, the line it failed at, and Retry from Failure.
 */
import * as vscode from 'vscode';
import type { FlowRunDetail } from '../../engine/records';
import { failureMessage, failureSiteOf } from '../failures/failureSite';
import { withoutTerminalEscapes } from '../../engine/terminalText';

const OPEN_RUN = 'Open Run';
const GO_TO_FAILURE = 'Go to Failure';
const RETRY = 'Retry from Failure';

export async function noticeFailure(detail: FlowRunDetail): Promise<void> {
  if (detail.state.type !== 'FAILED' && detail.state.type !== 'CRASHED') return;
  const site = failureSiteOf(detail);
  // A crash's own message says how the worker ended (and after what); a failure's, the error.
  const why = detail.state.failure && detail.state.type === 'FAILED' ? failureMessage(detail.state.failure) : (detail.state.message ?? detail.state.name);
  const actions = [OPEN_RUN, ...(site ? [GO_TO_FAILURE] : []), ...(detail.parentRunId === undefined ? [RETRY] : [])];
  const choice = await vscode.window.showErrorMessage(`Flow run '${detail.name}' of flow '${detail.flowName}' ended ${detail.state.name}: ${withoutTerminalEscapes(why).slice(0, 300)}`, ...actions);
  if (choice === OPEN_RUN) await vscode.commands.executeCommand('flowdeck.openRun', detail.id);
  else if (choice === GO_TO_FAILURE) await vscode.commands.executeCommand('flowdeck.goToFailure', detail.id);
  else if (choice === RETRY) await vscode.commands.executeCommand('flowdeck.retryFromFailure', detail.id);
}
