/**
 * Pause Schedule, Resume Schedule and Remove Schedule on a flow in the Flows view (or a schedule id from
 * the palette or a test). A schedule written in a flow's options is removed by editing it there.
 */
import * as vscode from 'vscode';
import { findSchedule, type ScheduleView } from '../../engine/schedules/scheduleEntries';
import { describeSchedule } from '../../engine/schedules/scheduleSpec';
import { FlowNode } from '../flows/flowsTree';
import type { Flowdeck } from '../services';

type Action = 'pause' | 'resume' | 'remove';

const TITLES: Record<Action, string> = { pause: 'Pause Schedule', resume: 'Resume Schedule', remove: 'Remove Schedule' };

export function registerManageSchedule(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.pauseSchedule', (arg?: unknown) => manageSchedule(flowdeck, 'pause', arg)),
    vscode.commands.registerCommand('flowdeck.resumeSchedule', (arg?: unknown) => manageSchedule(flowdeck, 'resume', arg)),
    vscode.commands.registerCommand('flowdeck.removeSchedule', (arg?: unknown) => manageSchedule(flowdeck, 'remove', arg)),
  );
}

async function manageSchedule(flowdeck: Flowdeck, action: Action, arg: unknown): Promise<void> {
  const view = await pick(action, arg, await flowdeck.schedules.views());
  if (!view) return;
  const { entry } = view;
  const what = `schedule ${entry.id} of ${entry.flowName} (${describeSchedule(entry.schedule)})`;
  const store = await flowdeck.host.store();
  if (action === 'remove') {
    if (entry.origin === 'code') {
      void vscode.window.showWarningMessage(`The ${what} is written in the flow's options; remove it there, or pause it.`);
      return;
    }
    await store.schedules.remove(entry.id);
  } else {
    await store.schedules.setPaused(entry.id, action === 'pause', Date.now());
  }
  flowdeck.schedules.refresh();
  void vscode.window.showInformationMessage(`${action === 'pause' ? 'Paused' : action === 'resume' ? 'Resumed' : 'Removed'} ${what}.`);
}

/** The schedule the command applies to: by id, or one of the flow's (asked when it has several). */
async function pick(action: Action, arg: unknown, views: readonly ScheduleView[]): Promise<ScheduleView | undefined> {
  if (typeof arg === 'string') {
    const { found } = findSchedule(views, arg);
    if (!found) void vscode.window.showErrorMessage(`No schedule '${arg}'.`);
    return found;
  }
  const fits = (v: ScheduleView): boolean => (action === 'resume' ? v.paused : action === 'pause' ? !v.paused : true);
  const candidates = (arg instanceof FlowNode ? arg.schedules : views).filter(fits);
  if (candidates.length <= 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((v) => ({ label: describeSchedule(v.entry.schedule), description: `${v.entry.flowName} · ${v.refused !== undefined ? 'refused' : v.paused ? 'paused' : 'active'} · ${v.entry.origin === 'code' ? 'in code' : 'added'}`, view: v })),
    { title: TITLES[action] },
  );
  return picked?.view;
}
