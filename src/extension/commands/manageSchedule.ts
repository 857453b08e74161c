/**
 * Pause Schedule, Resume Schedule and Remove Schedule on a flow in the Flows view (or a schedule id from
 * the palette or a test). A schedule written in a flow's options is removed by editing it there.
 */
import * as vscode from 'vscode';
import { findSchedule, MIN_SCHEDULE_PREFIX, type ScheduleView } from '../../engine/schedules/scheduleEntries';
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
    const { found, ambiguous, tooShort } = findSchedule(views, arg);
    // As `flowdeck schedule` says it: an id given in part is not "no schedule".
    const shown = arg.length > 64 ? `${arg.slice(0, 64)}…` : arg;
    if (tooShort) void vscode.window.showErrorMessage(`'${shown}' is too short to name a schedule: give at least ${MIN_SCHEDULE_PREFIX} characters of its id.`);
    else if (ambiguous) void vscode.window.showErrorMessage(`'${shown}' matches ${ambiguous.length} schedules (${ambiguous.map((v) => v.entry.id).join(', ')}): give more of its id.`);
    else if (!found) void vscode.window.showErrorMessage(`No schedule '${shown}': the Flows view lists the schedules under their flows.`);
    return found;
  }
  const fits = (v: ScheduleView): boolean => (action === 'resume' ? v.paused : action === 'pause' ? !v.paused : true);
  const all = arg instanceof FlowNode ? arg.schedules : views;
  const candidates = all.filter(fits);
  if (candidates.length === 0) {
    // From the palette with nothing to act on, the command did nothing at all.
    void vscode.window.showInformationMessage(noneMessage(action, all.length > 0));
    return undefined;
  }
  // A flow's own menu names the schedule's flow; from the palette the one schedule there is is shown first
  // (Remove Schedule removed it unseen).
  if (candidates.length === 1 && arg instanceof FlowNode) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((v) => ({ label: describeSchedule(v.entry.schedule), description: `${v.entry.flowName} · ${v.refused !== undefined ? 'refused' : v.paused ? 'paused' : 'active'} · ${v.entry.origin === 'code' ? 'in code' : 'added'}`, view: v })),
    { title: TITLES[action] },
  );
  return picked?.view;
}

/** Why there is nothing to pause, resume or remove, and what to do. */
function noneMessage(action: Action, others: boolean): string {
  if (others && action === 'pause') return 'No active schedule to pause: every schedule is paused.';
  if (others && action === 'resume') return 'No paused schedule to resume: every schedule runs.';
  return `No schedule to ${action}: there is none yet. Add one with Schedule Flow… (a flow's menu in the Flows view), or with \`schedule\` in a flow's options.`;
}
