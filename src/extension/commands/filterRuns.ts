/** "Filter Runs…": keeps the runs of one flow and/or in one state; the view's description shows the filter. */
import * as vscode from 'vscode';
import type { StateType } from '../../engine/states';
import { stateIcon } from '../icons';
import { FILTER_STATE_TYPES, stateNameOfType, stateTypeLabel, type RunsFilter } from '../runs/present';
import type { Flowdeck } from '../services';

type Item = vscode.QuickPickItem & { apply?: (filter: RunsFilter) => RunsFilter };

export function registerFilterRuns(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.filterRuns', async () => {
      const current = flowdeck.runsTree.getFilter();
      const flows = (await (await flowdeck.host.store()).flows()).map((f) => f.flowName).sort();
      const on = (active: boolean): string | undefined => (active ? 'current filter' : undefined);
      const items: Item[] = [
        { label: '$(clear-all) All runs', description: on(current.flowName === undefined && current.stateType === undefined), apply: () => ({}) },
        { label: 'Flow', kind: vscode.QuickPickItemKind.Separator },
        ...flows.map((name): Item => ({ label: `$(symbol-event) ${name}`, description: on(current.flowName === name), apply: (f) => ({ ...f, flowName: name }) })),
        { label: 'State', kind: vscode.QuickPickItemKind.Separator },
        ...FILTER_STATE_TYPES.map((type: StateType): Item => ({
          label: `$(${stateIcon({ type, name: stateNameOfType(type) }).id.replace('~spin', '')}) ${stateTypeLabel(type)}`,
          description: on(current.stateType === type),
          apply: (f) => ({ ...f, stateType: type }),
        })),
      ];
      const picked = await vscode.window.showQuickPick(items, { title: 'Filter Runs', placeHolder: 'Show only the runs of a flow, or in a state (pick again to combine both)' });
      if (picked?.apply) flowdeck.runsTree.setFilter(picked.apply(current));
    }),
  );
}
