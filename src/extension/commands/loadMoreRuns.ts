/** "Load more…": the next page of runs, or of a run's task runs. */
import * as vscode from 'vscode';
import { LoadMoreNode } from '../runs/runsTree';
import type { Flowdeck } from '../services';

export function registerLoadMoreRuns(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.loadMoreRuns', (arg?: unknown) => {
      if (arg instanceof LoadMoreNode) flowdeck.runsTree.loadMore(arg);
    }),
  );
}
