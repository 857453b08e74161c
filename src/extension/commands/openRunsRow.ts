/**
 * A click (or Enter) on a row of the Runs view: a run or its task-run summary opens the run's details,
 * "Load more…" lists the next page. The rows' command takes no arguments and reads the view's selection,
 * which VS Code hands over (by the rows' ids) before it runs the command. VS Code hands a command's
 * arguments over by a token it drops when it redraws the row, so a click just as a row was redrawn — a run's
 * row as it ends, when users click it most — did nothing and showed "Actual command not found". A command
 * without arguments goes by its name, and the rows' ids stay the same across redraws. Right after a redraw
 * the selection reads empty for a few frames; openedRow waits for it (selectionAfterRedraw.ts).
 */
import * as vscode from 'vscode';
import { LoadMoreNode, RunNode, TaskSummaryNode } from '../runs/runsTree';
import type { Flowdeck } from '../services';

export function registerOpenRunsRow(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.openRunsRow', async () => {
      const row = await flowdeck.runsTree.openedRow();
      if (row instanceof RunNode) await vscode.commands.executeCommand('flowdeck.openRun', row.run.id);
      else if (row instanceof TaskSummaryNode) await vscode.commands.executeCommand('flowdeck.openRun', row.parent.run.id);
      else if (row instanceof LoadMoreNode) flowdeck.runsTree.loadMore(row);
    }),
  );
}
