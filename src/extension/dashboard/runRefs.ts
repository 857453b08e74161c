/** Runs as the dashboard refers to them: which built-in a run is, and the part of it the webview gets. */
import type { DashboardRun } from './dashboardRun';
import { BUILTIN_FLOW_IDS, type BuiltinFlowId, type RunRef } from '../../webview/protocol';

export function builtinFlowOf(run: Pick<DashboardRun, 'source'>): BuiltinFlowId | undefined {
  return BUILTIN_FLOW_IDS.find((id) => run.source === `builtin:${id}`);
}

export function toRunRef(run: DashboardRun): RunRef {
  const ref: RunRef = {
    id: run.id,
    name: run.name,
    flowName: run.flowName,
    state: { type: run.state.type, name: run.state.name },
    created: run.created,
  };
  const flowId = builtinFlowOf(run);
  if (flowId) ref.flowId = flowId;
  // A crash message can carry a whole stack; the list needs the first part only.
  if (run.state.message) ref.state.message = run.state.message.slice(0, 500);
  if (run.startTime !== undefined) ref.startTime = run.startTime;
  if (run.endTime !== undefined) ref.endTime = run.endTime;
  return ref;
}

/** Newest first; ties (same millisecond) by id so the order never flickers. */
export function newestFirst(runs: readonly DashboardRun[]): DashboardRun[] {
  return [...runs].sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}
