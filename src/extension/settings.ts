/**
 * The `flowdeck.*` settings, read fresh each time (they are few and reading is cheap); settingValues.ts
 * checks them. A setting taken at its default because it was wrong is told once, as a warning message.
 */
import * as vscode from 'vscode';
import { flowGlobFrom, settingsFrom, type FlowdeckSettings, type SettingValue } from './settingValues';

// Each wrong setting once per session, not at every read (reads come with every run and redraw).
const warned = new Set<string>();

function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  void vscode.window.showWarningMessage(message);
}

function reader(c: vscode.WorkspaceConfiguration): SettingValue {
  return (key) => c.get<unknown>(key);
}

/** `flowdeck.flowGlob` alone: what activation needs (the CodeLens provider's pattern), without reading the rest. */
export function readFlowGlob(c: vscode.WorkspaceConfiguration = vscode.workspace.getConfiguration('flowdeck')): string {
  return flowGlobFrom(reader(c), warnOnce);
}

export function readSettings(): FlowdeckSettings {
  return settingsFrom(reader(vscode.workspace.getConfiguration('flowdeck')), process.env, warnOnce);
}
