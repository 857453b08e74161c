/** "Show Logs": prints a run's stored logs (its subflows' included, in time order) to the output channel. */
import * as vscode from 'vscode';
import type { LogRecord } from '../../engine/records';
import { elapsed, formatDuration } from '../runs/present';
import type { Flowdeck } from '../services';
import { runFrom } from './runArg';

export function registerShowRunLogs(context: vscode.ExtensionContext, flowdeck: Flowdeck): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('flowdeck.showRunLogs', (arg?: unknown) => {
      const run = runFrom(arg, flowdeck.host);
      if (!run) return;
      const store = flowdeck.host.store;
      const ids = [run.id];
      const all = store.list();
      for (let i = 0; i < ids.length; i++) for (const r of all) if (r.parentRunId === ids[i]) ids.push(r.id);
      // A stable sort keeps the order lines were written in when their times are equal.
      const records: LogRecord[] = ids.flatMap((id) => store.readLogs(id)).sort((a, b) => a.ts - b.ts);
      const took = elapsed(run, Date.now());
      const facts = [`flow '${run.flowName}'`, run.state.name, ...(took === undefined ? [] : [formatDuration(took)]), `${records.length} log lines`];
      flowdeck.output.printRun(`── Flow run '${run.name}' · ${facts.join(' · ')} ──`, records);
      flowdeck.output.reveal();
    }),
  );
}
