/**
 * The inputs that stay open when the focus leaves them (`ignoreFocusOut`): a box the user types into
 * (parameters, a variable's name and value, a schedule's time, a queue, a search), a pick that follows
 * earlier answers of the same command, and a pick of several items. VS Code closes a quick input when the
 * user clicks elsewhere — to copy a value from an editor, say — and what was typed or picked so far went
 * with it; these keep it until Enter or Escape. A one-click menu that is the command's only step (which
 * flow, which run) keeps VS Code's default: closing it loses nothing. Every input box of the extension
 * opens here (stayOpenInput.test.ts checks that none goes around it).
 */
import * as vscode from 'vscode';

/** An input box (showInputBox) that stays open when the focus leaves it. */
export function askText(options: Omit<vscode.InputBoxOptions, 'ignoreFocusOut'>): Thenable<string | undefined> {
  return vscode.window.showInputBox({ ...options, ignoreFocusOut: true });
}

/** An input box to drive (createInputBox: a count as the user types) that stays open when the focus leaves it. */
export function createTextBox(): vscode.InputBox {
  const box = vscode.window.createInputBox();
  box.ignoreFocusOut = true;
  return box;
}

/** A pick of one of `items` after earlier answers of the same command (showQuickPick), which stays open when the focus leaves it. */
export function askStep<T extends string>(items: readonly T[], options: Omit<vscode.QuickPickOptions, 'ignoreFocusOut' | 'canPickMany'>): Thenable<T | undefined> {
  return vscode.window.showQuickPick(items, { ...options, ignoreFocusOut: true }) as Thenable<T | undefined>;
}

/** A quick pick of several items (createQuickPick, canSelectMany) that stays open when the focus leaves it. */
export function createMultiPick<T extends vscode.QuickPickItem>(): vscode.QuickPick<T> {
  const pick = vscode.window.createQuickPick<T>();
  pick.canSelectMany = true;
  pick.ignoreFocusOut = true;
  return pick;
}
