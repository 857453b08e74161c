/** "Search Runs…": keeps the runs whose run or flow name, or a tag, contains the text, saying how many match as you type. */
import * as vscode from 'vscode';
import type { Flowdeck } from '../services';
import { createTextBox } from '../util/stayOpenInput';

export function registerSearchRuns(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.searchRuns', () => searchRuns(flowdeck)),
  );
}

async function searchRuns(flowdeck: Flowdeck): Promise<void> {
  const current = flowdeck.runsTree.getFilter();
  const store = await flowdeck.host.store();
  const box = createTextBox();
  box.title = 'Search Runs';
  box.placeholder = 'Part of a run name (light-potoo), a flow name or a tag; empty shows all runs';
  box.value = current.search ?? '';
  let asked = 0;
  const count = async (text: string): Promise<void> => {
    const mine = ++asked;
    const { search: _old, ...rest } = current;
    let said: string;
    try {
      const n = await store.count({ rootsOnly: true, ...rest, ...(text ? { search: text } : {}) });
      said = `${n.toLocaleString('en-US')} run${n === 1 ? '' : 's'} match${n === 1 ? 'es' : ''}`;
    } catch (e) {
      // Said where the count goes: a count left from before would be taken for this text's.
      said = `Could not count the runs: ${(e as Error).message}`;
    }
    // An older count must not overwrite a newer one.
    if (mine === asked) box.prompt = said;
  };
  box.onDidChangeValue((text) => void count(text.trim().slice(0, 200)));
  void count(box.value);
  const accepted = await new Promise<string | undefined>((resolve) => {
    box.onDidAccept(() => resolve(box.value.trim().slice(0, 200)));
    box.onDidHide(() => resolve(undefined));
    box.show();
  });
  box.dispose();
  if (accepted === undefined) return;
  const { search: _old, ...rest } = current;
  flowdeck.runsTree.setFilter(accepted ? { ...rest, search: accepted } : rest);
}
