/** The run a run command applies to: a Runs view item, or a run id or name (from another extension or a test). */
import type { FlowRunSummary } from '../../engine/records';
import type { FlowdeckHost } from '../host';
import { RunNode } from '../runs/runsTree';

export async function runFrom(arg: unknown, host: FlowdeckHost): Promise<FlowRunSummary | undefined> {
  if (arg instanceof RunNode) return (await (await host.store()).get(arg.run.id)) ?? arg.run;
  if (typeof arg === 'string') return (await host.store()).get(arg);
  return undefined;
}

/** The runs a multi-selection applies to: VS Code passes the clicked item and then every selected item. */
export async function runsFrom(arg: unknown, selected: unknown, host: FlowdeckHost): Promise<FlowRunSummary[]> {
  const all = Array.isArray(selected) && selected.length > 0 ? selected : [arg];
  const runs = await Promise.all(all.map((a) => runFrom(a, host)));
  return runs.filter((r): r is FlowRunSummary => r !== undefined);
}
