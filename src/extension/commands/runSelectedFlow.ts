/**
 * Enter on a flow's row in the Runs view runs that flow (Enter on a run opens its details: that is the
 * run row's own command). Bound to Enter while such a row is selected in the focused Runs view.
 */
import * as vscode from 'vscode';
import { FlowGroupNode, type RunsTreeNode } from '../runs/runsTree';
import type { Flowdeck } from '../services';

export const FLOW_SELECTED_CONTEXT = 'flowdeck.runsFlowSelected';

export function registerRunSelectedFlow(context: vscode.ExtensionContext, flowdeck: Flowdeck, view: vscode.TreeView<RunsTreeNode>): void {
  context.subscriptions.push(
    view.onDidChangeSelection(({ selection }) => {
      void vscode.commands.executeCommand('setContext', FLOW_SELECTED_CONTEXT, selection.length === 1 && selection[0] instanceof FlowGroupNode);
    }),
    vscode.commands.registerCommand('flowdeck.runSelectedFlow', async () => {
      const node = view.selection[0];
      if (view.selection.length !== 1 || !(node instanceof FlowGroupNode)) return;
      await flowdeck.launcher.run({ source: node.source, flowName: node.flowName });
    }),
  );
}
