/**
 * Workspace trust: flow files are code, so Restricted Mode lists them but does not run them. Built-in
 * flows ship with the extension and run anywhere.
 */
import * as vscode from 'vscode';
import type { FlowSource } from '../engine/protocol';

export const UNTRUSTED_MESSAGE = 'Flowdeck runs workspace flows only in a trusted workspace: flow files are code. Trust this folder to run it.';
const MANAGE = 'Manage Workspace Trust';

/** True when `source` may run here; otherwise says why, with a way to trust the folder. */
export function canRun(source: FlowSource): boolean {
  if (source.kind === 'builtin' || vscode.workspace.isTrusted) return true;
  void vscode.window.showErrorMessage(UNTRUSTED_MESSAGE, MANAGE).then((choice) => {
    if (choice === MANAGE) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}
