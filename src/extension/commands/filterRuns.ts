/**
 * "Filter Runs…": keeps the runs in any of the picked states, of any of the picked flows and carrying every
 * picked tag, with how many runs each has. Given a filter as its argument (the dashboard's "N older runs"),
 * applies it without asking and shows the Runs view.
 */
import * as vscode from 'vscode';
import { RUN_TAG } from '../../engine/runTags';
import type { StateType } from '../../engine/states';
import { stateIcon } from '../icons';
import { FILTER_STATE_TYPES, stateNameOfType, stateTypeLabel, type RunsFilter } from '../runs/present';
import type { Flowdeck } from '../services';
import { createMultiPick } from '../util/stayOpenInput';

type Item = vscode.QuickPickItem & { stateType?: StateType; flowName?: string; tag?: string };

/** A filter passed as a command argument: only the known fields, bounded. */
export function filterArgument(arg: unknown): RunsFilter | undefined {
  if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return undefined;
  const v = arg as Record<string, unknown>;
  const strings = (x: unknown): string[] | undefined =>
    Array.isArray(x) && x.length <= 100 && x.every((s) => typeof s === 'string' && s.length <= 200) ? (x as string[]) : undefined;
  const flowNames = strings(v.flowNames);
  const stateTypes = strings(v.stateTypes)?.filter((t): t is StateType => (FILTER_STATE_TYPES as readonly string[]).includes(t));
  const tags = strings(v.tags)?.filter((t) => RUN_TAG.test(t));
  const search = typeof v.search === 'string' ? v.search.slice(0, 200) : undefined;
  if (!flowNames && !stateTypes && !tags && search === undefined) return undefined;
  return { ...(flowNames ? { flowNames } : {}), ...(stateTypes ? { stateTypes } : {}), ...(tags?.length ? { tags } : {}), ...(search ? { search } : {}) };
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
  const tagItems = (await store.tags()).map((t): Item => ({ label: `$(tag) ${t.tag}`, description: count(t.runs), tag: t.tag }));
  const pick = createMultiPick<Item>();
  pick.title = 'Filter Runs';
  pick.placeholder = tagItems.length > 0
    ? 'Pick states, flows and tags: runs in any picked state, of any picked flow, with every picked tag. Pick none to see all runs.'
    : 'Pick states and flows: runs in any picked state, of any picked flow. Pick none to see all runs.';
  pick.matchOnDescription = true;
  pick.items = [
    { label: 'State', kind: vscode.QuickPickItemKind.Separator },
    ...states,
    { label: 'Flow', kind: vscode.QuickPickItemKind.Separator },
    ...flowItems,
    ...(tagItems.length > 0 ? [{ label: 'Tag', kind: vscode.QuickPickItemKind.Separator }, ...tagItems] : []),
  ];
  pick.selectedItems = [
    ...states.filter((i) => current.stateTypes?.includes(i.stateType!)),
    ...flowItems.filter((i) => current.flowNames?.includes(i.flowName!)),
    ...tagItems.filter((i) => current.tags?.includes(i.tag!)),
  ];
  const accepted = await new Promise<readonly Item[] | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems));
    pick.onDidHide(() => resolve(undefined));
    pick.show();
  });
  pick.dispose();
  if (!accepted) return;
  const stateTypes = accepted.flatMap((i) => (i.stateType ? [i.stateType] : []));
  const flowNames = accepted.flatMap((i) => (i.flowName ? [i.flowName] : []));
  const tags = accepted.flatMap((i) => (i.tag ? [i.tag] : []));
  flowdeck.runsTree.setFilter({ ...(current.search ? { search: current.search } : {}), ...(stateTypes.length ? { stateTypes } : {}), ...(flowNames.length ? { flowNames } : {}), ...(tags.length ? { tags } : {}) });
}
