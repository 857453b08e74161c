/**
 * A quick pick listing what the store holds (Variables…, Cached Results…), with buttons on its items that
 * act in place: the button's action may open a dialog, which takes the focus — the list stays open behind
 * it — and the list is read again after. Resolves with the item accepted, or undefined when dismissed.
 */
import * as vscode from 'vscode';

export async function listPick<T extends vscode.QuickPickItem>(pick: vscode.QuickPick<T>, load: () => Promise<void>, onButton: (item: T) => Promise<void>): Promise<T | undefined> {
  pick.onDidTriggerItemButton(async ({ item }) => {
    pick.ignoreFocusOut = true;
    try {
      await onButton(item);
    } finally {
      pick.ignoreFocusOut = false;
    }
    await load();
    pick.show();
  });
  const picked = await new Promise<T | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
    void load().then(() => pick.show());
  });
  pick.dispose();
  return picked;
}
