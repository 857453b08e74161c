/**
 * "Filter Runs…": keeps the runs in any of the picked states and of any of the picked flows, with how many
 * runs each has. Given a filter as its argument (the dashboard's "N older runs"), applies it without asking
 * and shows the Runs view.
 */
import * as vscode from 'vscode';
import type { StateType } from '../../engine/states';
import { stateIcon } from '../icons';
import { FILTER_STATE_TYPES, stateNameOfType, stateTypeLabel, type RunsFilter } from '../runs/present';
import type { Flowdeck } from '../services';

type Item = vscode.QuickPickItem & { stateType?: StateType; flowName?: string };

/** A filter passed as a command argument: only the known fields, bounded. */
export function filterArgument(arg: unknown): RunsFilter | undefined {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return undefined;
  const v = arg as Record<string, unknown>;
  const strings = (x: unknown): string[] | undefined =>
    Array.isArray(x) && x.length <= 100 && x.every((s) => typeof s === 'string' && s.length <= 200) ? (x as string[]) : undefined;
  const flowNames = strings(v.flowNames);
  const stateTypes = strings(v.stateTypes)?.filter((t): t is StateType => (FILTER_STATE_TYPES as readonly string[]).includes(t));
  const search = typeof v.search === 'string' ? v.search.slice(0, 200) : undefined;
  if (!flowNames && !stateTypes && search === undefined) return undefined;
  return { ...(flowNames ? { flowNames } : {}), ...(stateTypes ? { stateTypes } : {}), ...(search ? { search } : {}) };
}

export function registerFilterRuns(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.filterRuns', (arg?: unknown) => filterRuns(flowdeck, arg)),
  );
}

async function filterRuns(flowdeck: Flowdeck, arg?: unknown): Promise<void> {
  const given = filterArgument(arg);
  if (given) {
    flowdeck.runsTree.setFilter(given);
    await vscode.commands.executeCommand('flowdeck.runs.focus');
    return;
  }
  const current = flowdeck.runsTree.getFilter();
  const store = await flowdeck.host.store();
  const flows = (await store.flows()).sort((a, b) => a.flowName.localeCompare(b.flowName));
  const count = (n: number) => `${n.toLocaleString('en-US')} run${n === 1 ? '' : 's'}`;
  const states: Item[] = [];
  for (const type of FILTER_STATE_TYPES) {
    const n = await store.count({ rootsOnly: true, stateTypes: [type] });
    states.push({ label: `$(${stateIcon({ type, name: stateNameOfType(type) }).id.replace('~spin', '')}) ${stateTypeLabel(type)}`, description: count(n), stateType: type });
  }
  const flowItems = flows.map((f): Item => ({ label: `$(symbol-event) ${f.flowName}`, description: count(f.runs), flowName: f.flowName }));
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'Filter Runs';
  pick.placeholder = 'Pick states and flows: runs in any picked state, of any picked flow. Pick none to see all runs.';
  pick.canSelectMany = true;
  pick.matchOnDescription = true;
  pick.items = [{ label: 'State', kind: vscode.QuickPickItemKind.Separator }, ...states, { label: 'Flow', kind: vscode.QuickPickItemKind.Separator }, ...flowItems];
  pick.selectedItems = [...states.filter((i) => current.stateTypes?.includes(i.stateType!)), ...flowItems.filter((i) => current.flowNames?.includes(i.flowName!))];
  const accepted = await new Promise<readonly Item[] | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems));
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (!accepted) return;
  const stateTypes = accepted.flatMap((i) => (i.stateType ? [i.stateType] : []));
  const flowNames = accepted.flatMap((i) => (i.flowName ? [i.flowName] : []));
  flowdeck.runsTree.setFilter({ ...(current.search ? { search: current.search } : {}), ...(stateTypes.length ? { stateTypes } : {}), ...(flowNames.length ? { flowNames } : {}) });
}
