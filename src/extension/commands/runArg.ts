/**
 * The run a run command applies to: a Runs view item, a run's log document (its editor title actions), or a
 * run id or name (from a webview, another extension or a test).
 */
import * as vscode from 'vscode';
import type { FlowRunSummary } from '../../engine/records';
import type { FlowdeckHost } from '../host';
import { runIdOfLogUri } from '../logs/runLogDocuments';
import { RunNode } from '../runs/runsTree';

export async function runFrom(arg: unknown, host: FlowdeckHost): Promise<FlowRunSummary | undefined> {
  if (arg instanceof RunNode) return newer((await (await host.store()).get(arg.run.id)) ?? arg.run, arg.run);
  if (arg instanceof vscode.Uri) {
    const id = runIdOfLogUri(arg);
    return id === undefined ? undefined : (await host.store()).get(id);
  }
  if (typeof arg === 'string' && arg.length <= 200) return (await host.store()).get(arg);
  return undefined;
}

/**
 * The later of two views of one run, by its state: the store's list follows a run's journal, so for a moment
 * a run of this window is newer as its runner told it (a row clicked as the run paused) than as listed.
 */
export function newer(listed: FlowRunSummary, told: FlowRunSummary): FlowRunSummary {
  return told.state.timestamp > listed.state.timestamp ? told : listed;
}

/** The runs a multi-selection applies to: VS Code passes the clicked item and then every selected item. */
export async function runsFrom(arg: unknown, selected: unknown, host: FlowdeckHost): Promise<FlowRunSummary[]> {
  const all = Array.isArray(selected) && selected.length > 0 ? selected : [arg];
  const runs = await Promise.all(all.map((a) => runFrom(a, host)));
  return runs.filter((r): r is FlowRunSummary => r !== undefined);
}
