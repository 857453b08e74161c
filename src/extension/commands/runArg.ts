/** The run a run command applies to: a Runs view item, or a run id or name (from another extension or a test). */
import type { FlowRunSummary } from '../../engine/records';
import type { FlowdeckHost } from '../host';
import { RunNode } from '../runs/runsTree';

export function runFrom(arg: unknown, host: FlowdeckHost): FlowRunSummary | undefined {
  if (arg instanceof RunNode) return host.store.get(arg.run.id) ?? arg.run;
  if (typeof arg === 'string') return host.store.get(arg);
  return undefined;
}

/** The runs a multi-selection applies to: VS Code passes the clicked item and then every selected item. */
export function runsFrom(arg: unknown, selected: unknown, host: FlowdeckHost): FlowRunSummary[] {
  const all = Array.isArray(selected) && selected.length > 0 ? selected : [arg];
  return all.map((a) => runFrom(a, host)).filter((r): r is FlowRunSummary => r !== undefined);
}
