/** The flow a run command applies to: from its argument (tree item, CodeLens, built-in id), else picked. */
import * as vscode from 'vscode';
import { BUILTIN_FLOWS, builtinFlow } from '../builtinFlows';
import type { FlowIndex } from './flowIndex';
import { FlowNode } from './flowsTree';
import { builtinFlowRef, fileFlowRef, isFlowRef, type FlowRef } from './flowRef';

export async function flowRefFrom(arg: unknown, index: FlowIndex, title: string): Promise<FlowRef | undefined> {
  if (arg instanceof FlowNode) return arg.ref;
  if (isFlowRef(arg)) return arg;
  if (typeof arg === 'string') {
    const builtin = builtinFlow(arg);
    if (builtin) return builtinFlowRef(builtin);
  }
  return pickFlow(index, title);
}

async function pickFlow(index: FlowIndex, title: string): Promise<FlowRef | undefined> {
  type Item = vscode.QuickPickItem & { ref?: FlowRef };
  const items = async (): Promise<Item[]> => {
    const files = await index.all();
    const workspace = files.flatMap((f) =>
      f.flows.map((flow): Item => ({ label: flow.name, description: vscode.workspace.asRelativePath(f.file), detail: flow.description, ref: fileFlowRef(f.file, flow) })),
    );
    return [
      { label: 'Built-in', kind: vscode.QuickPickItemKind.Separator },
      ...BUILTIN_FLOWS.map((f): Item => ({ label: f.name, description: 'built-in', detail: f.description, ref: builtinFlowRef(f) })),
      { label: 'Workspace', kind: vscode.QuickPickItemKind.Separator },
      ...workspace,
    ];
  };
  const picked = await vscode.window.showQuickPick(items(), { title, placeHolder: 'Choose a flow', matchOnDescription: true, matchOnDetail: true });
  return picked?.ref;
}
