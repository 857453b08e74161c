/** "Open Flow Source": the flow file, with the cursor on the flow's `flow(` call. */
import * as vscode from 'vscode';
import { FlowNode } from '../flows/flowsTree';
import { isFlowRef } from '../flows/flowRef';
import { openAt } from '../runs/launcher';

interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

function isLocation(value: unknown): value is SourceLocation {
  const v = value as Partial<SourceLocation> | null;
  return typeof v === 'object' && v !== null && typeof v.file === 'string' && typeof v.line === 'number' && typeof v.column === 'number';
}

export function registerOpenFlowSource(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.openFlowSource', async (arg?: unknown) => {
      const ref = arg instanceof FlowNode ? arg.ref : isFlowRef(arg) ? arg : undefined;
      const location = ref?.location ?? (isLocation(arg) ? arg : undefined);
      if (!location) {
        void vscode.window.showInformationMessage('Built-in flows ship compiled with Flowdeck; there is no source file to open.');
        return;
      }
      await openAt(location.file, location.line, location.column);
    }),
  );
}
