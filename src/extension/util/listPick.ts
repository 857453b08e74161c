/**
 * A quick pick listing what the store holds (Variables…, Cached Results…), with buttons on its items that
 * act in place: the button's action may open a dialog, which takes the focus — the list stays open behind
 * it — and the list is read again after. Resolves with the item accepted, or undefined when dismissed.
 */
import * as vscode from 'vscode';

export async function listPick<T extends vscode.QuickPickItem>(pick: vscode.QuickPick<T>, load: () => Promise<void>, onButton: (item: T) => Promise<void>): Promise<T | undefined> {
  // While a button's action runs (its dialog has the focus), a hide is not the user dismissing the list.
  let acting = false;
  pick.onDidTriggerItemButton(async ({ item }) => {
    acting = true;
    pick.ignoreFocusOut = true;
    try {
      // The extension host sends a quick pick's changes on its next turn: the list is told to stay open
      // before the action's dialog takes the focus.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await onButton(item);
    } finally {
      pick.ignoreFocusOut = false;
      acting = false;
    }
    await load();
    pick.show();
  });
  try {
    return await new Promise<T | undefined>((resolve, reject) => {
      pick.onDidAccept(() => resolve(pick.selectedItems[0]));
      pick.onDidHide(() => {
        if (!acting) resolve(undefined);
      });
      // A store that cannot be read (its folder another user's) fails the command, which says why.
      load().then(() => pick.show(), reject);
    });
  } finally {
    pick.dispose();
  }
}
