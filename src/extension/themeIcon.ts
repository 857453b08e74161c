/** IconSpec (icons.ts, pure) → the editor's ThemeIcon. */
import * as vscode from 'vscode';
import type { IconSpec } from './icons';

export function themeIcon(spec: IconSpec): vscode.ThemeIcon {
  return new vscode.ThemeIcon(spec.id, spec.color === undefined ? undefined : new vscode.ThemeColor(spec.color));
}
