/** "Show Logs": prints a run's stored logs (its subflows' included, in time order) to the output channel. */
import * as vscode from 'vscode';
import type { LogRecord } from '../../engine/records';
import { elapsed, formatDuration } from '../runs/present';
import { isTerminal } from '../../engine/states';
import type { Flowdeck } from '../services';
import { followRemoteLogs } from '../workers/remoteLogs';
import { runFrom } from './runArg';

export function registerShowRunLogs(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.showRunLogs', async (arg?: unknown) => {
      const run = await runFrom(arg, flowdeck.host);
      if (!run) return;
      const store = await flowdeck.host.store();
      const records: LogRecord[] = [];
      for (const r of await store.runTree(run.id)) await store.readLogs(r.id, (logs) => void records.push(...logs));
      // A stable sort keeps the order lines were written in when their times are equal.
      records.sort((a, b) => a.ts - b.ts);
      const took = elapsed(run, Date.now());
      const facts = [`flow '${run.flowName}'`, run.state.name, ...(took === undefined ? [] : [formatDuration(took)]), `${records.length} log lines`];
      flowdeck.output.printRun(`── Flow run '${run.name}' · ${facts.join(' · ')} ──`, records);
      flowdeck.output.reveal();
      // A run going on another machine: its lines follow from the store as they are written.
      if (store.shared && !isTerminal(run.state.type) && !flowdeck.host.isLive(run.id)) {
        const stop = followRemoteLogs(store, store.shared, run.id, (logs) => {
          for (const l of logs) flowdeck.output.log(l);
        });
        context.subscriptions.push({ dispose: stop });
      }
    }),
  );
}
