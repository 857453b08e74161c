/**
 * "Schedule Flow…": adds a schedule to the store for a flow (workspace or built-in) without editing its
 * code — a preset (hourly, daily at…, weekly on…), an interval, or a cron expression whose next five
 * times show while it is typed — and optionally its parameters. Every window and `flowdeck serve`
 * sharing the store runs it.
 */
import * as vscode from 'vscode';
import { presetCron, nextTimesText, WEEKDAYS, type Weekday } from '../../engine/schedules/schedulePresets';
import { checkSchedule, describeSchedule, parseEvery, ScheduleError, type Schedule } from '../../engine/schedules/scheduleSpec';
import { SlotTimes } from '../../engine/schedules/slotTimes';
import { flowRefFrom } from '../flows/pickFlow';
import type { FlowRef } from '../flows/flowRef';
import { promptParameters } from '../parameters/promptParameters';
import type { Flowdeck } from '../services';
import { refuseKnownSecrets } from '../schedules/scheduleSecrets';
import { askStep, askText } from '../util/stayOpenInput';

const NEXT_SHOWN = 5;

export function registerScheduleFlow(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.scheduleFlow', (arg?: unknown) => scheduleFlow(flowdeck, arg)),
  );
}

async function scheduleFlow(flowdeck: Flowdeck, arg?: unknown): Promise<void> {
  const ref = await flowRefFrom(arg, flowdeck.flowIndex, 'Schedule Flow');
  if (!ref) return;
  const when = await askWhen(ref);
  if (!when) return;
  let parameters: Record<string, unknown> | undefined;
  if (ref.parameters === undefined || Object.keys(ref.parameters).length > 0) {
    const how = await askStep(['Default parameters', 'Set parameters…'], { title: `Schedule ${ref.flowName}: parameters of its runs` });
    if (!how) return;
    if (how !== 'Default parameters') {
      try {
        parameters = await promptParameters(ref.flowName, ref.parameters);
      } catch (e) {
        void vscode.window.showErrorMessage((e as Error).message);
        return;
      }
      if (!parameters) return;
    }
  }
  let schedule: Schedule;
  try {
    // Kept in the store, shared by every machine on it: a secret never goes there.
    if (parameters) refuseKnownSecrets(parameters, await flowdeck.host.knownSecrets());
    schedule = checkSchedule({ ...when, ...(parameters ? { parameters } : {}) }, ref.flowName, ref.parameters);
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not schedule ${ref.flowName}: ${(e as Error).message}`);
    return;
  }
  const next = new SlotTimes(schedule).upcoming(Date.now(), NEXT_SHOWN);
  const save = await vscode.window.showInformationMessage(
    `Schedule ${ref.flowName} ${describeSchedule(schedule)}?`,
    { modal: true, detail: `Next runs: ${nextTimesText(next)}.\n\nIt runs while this window (or \`flowdeck serve\`) is open.` },
    'Save Schedule',
  );
  if (save !== 'Save Schedule') return;
  const store = await flowdeck.host.store();
  const added = await store.schedules.add({ flowName: ref.flowName, source: ref.source.kind === 'builtin' ? `builtin:${ref.source.id}` : ref.source.path, schedule });
  flowdeck.schedules.refresh();
  void vscode.window.showInformationMessage(`Scheduled ${ref.flowName} ${describeSchedule(schedule)} (schedule ${added.id}); next run ${nextTimesText(next.slice(0, 1))}.`);
}

type When = Pick<Schedule, 'cron' | 'intervalSeconds' | 'timezone'>;

async function askWhen(ref: FlowRef): Promise<When | undefined> {
  const title = `Schedule ${ref.flowName}`;
  const kinds = ['Every hour', 'Daily at…', 'Weekly on…', 'Every… (interval)', 'Cron expression…'] as const;
  const kind = await askStep(kinds, { title, placeHolder: 'When should it run?' });
  if (kind === undefined) return undefined;
  if (kind === 'Every hour') return { cron: presetCron({ kind: 'hourly' }) };
  if (kind === 'Daily at…' || kind === 'Weekly on…') {
    let day: Weekday | undefined;
    if (kind === 'Weekly on…') {
      day = await askStep(WEEKDAYS, { title, placeHolder: 'On which day?' });
      if (!day) return undefined;
    }
    const time = await askText({
      title,
      prompt: 'At what time (24-hour clock, this machine’s timezone)?',
      value: '09:00',
      validateInput: (text) => preview(() => ({ cron: presetCron(day ? { kind: 'weekly', day, time: text } : { kind: 'daily', time: text }) })),
    });
    if (time === undefined) return undefined;
    return { cron: presetCron(day ? { kind: 'weekly', day, time } : { kind: 'daily', time }) };
  }
  if (kind === 'Every… (interval)') {
    const every = await askText({ title, prompt: 'Every how long? 30s, 15m, 2h, 1d or 2w', value: '15m', validateInput: (text) => preview(() => ({ intervalSeconds: parseEvery(text) })) });
    return every === undefined ? undefined : { intervalSeconds: parseEvery(every) };
  }
  const cron = await askText({
    title,
    prompt: 'A cron expression: 5 fields, or 6 with seconds first',
    placeHolder: '0 9 * * 1-5',
    validateInput: (text) => preview(() => ({ cron: text })),
  });
  return cron === undefined ? undefined : { cron };
}

/** While the user types: the next five times (information), or what is wrong (an error, which blocks Enter). */
function preview(when: () => When): vscode.InputBoxValidationMessage {
  try {
    const schedule = checkSchedule(when(), 'flow');
    return { message: `Next: ${nextTimesText(new SlotTimes(schedule).upcoming(Date.now(), NEXT_SHOWN))}`, severity: vscode.InputBoxValidationSeverity.Info };
  } catch (e) {
    if (!(e instanceof ScheduleError)) throw e;
    return { message: e.message, severity: vscode.InputBoxValidationSeverity.Error };
  }
}
