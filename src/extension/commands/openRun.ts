/**
 * "Open Run": a run's details — header, timeline, failure, logs, result — in a panel of its own. From a
 * Runs view item, a log document's title bar, a run id; from the palette, a pick of recent runs.
 */
import * as vscode from 'vscode';
import { stateIcon } from '../icons';
import { flatRunDescription } from '../runs/present';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

const PICK_RUNS = 200;

export function registerOpenRun(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.openRun', (arg?: unknown) => openRun(flowdeck, arg)),
  );
}

async function openRun(flowdeck: Flowdeck, arg?: unknown): Promise<void> {
  let run = await runFrom(arg, flowdeck.host);
  if (!run && arg !== undefined) {
    void vscode.window.showWarningMessage('That run is no longer in the run history.');
    return;
  }
  if (!run) {
    const now = Date.now();
    const runs = await (await flowdeck.host.store()).list({ limit: PICK_RUNS });
    const picked = await vscode.window.showQuickPick(
      runs.map((r) => ({ label: `$(${stateIcon(r.state).id.replace('~spin', '')}) ${r.name}`, description: flatRunDescription(r, now), run: r })),
      { title: 'Open Run', placeHolder: 'A run of the history, newest first', matchOnDescription: true },
    );
    run = picked?.run;
  }
  if (run) await flowdeck.runDetails.show(run.id);
}
