/**
 * When a run started from the editor ends Failed, TimedOut or Crashed, a notification says so, with the
 * ways on (failureNoticeModel.ts): the run's details, the line it failed at, and Retry from Failure.
 */
import * as vscode from 'vscode';
import type { FlowRunDetail } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { GO_TO_FAILURE, OPEN_RUN, RETRY, failureNoticeOf } from './failureNoticeModel';

export async function noticeFailure(detail: FlowRunDetail, store: () => Promise<RunStore>): Promise<void> {
  const notice = await failureNoticeOf(detail, store);
  if (!notice) return;
  const choice = await vscode.window.showErrorMessage(notice.text, ...notice.actions);
  if (choice === OPEN_RUN) await vscode.commands.executeCommand('flowdeck.openRun', detail.id);
  else if (choice === GO_TO_FAILURE) await vscode.commands.executeCommand('flowdeck.goToFailure', detail.id);
  else if (choice === RETRY) await vscode.commands.executeCommand('flowdeck.retryFromFailure', detail.id);
}
