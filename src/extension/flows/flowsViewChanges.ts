/**
 * What of the Flows view a change of its files or schedules redraws. A redraw of the whole view drops the
 * rows' handles until VS Code has read them again, and a click on a row's inline *Run Flow* in that moment
 * reaches the command without its flow. So the view redraws the least that changed: a flow whose schedules
 * changed (its next time, most often) is redrawn alone, and keeps its handle; a file whose flows changed
 * has its rows read again; only files coming, going, failing to parse or gaining (or losing) their first
 * flow redraw the whole view.
 */
import type { FileFlows } from '../../engine/flowDiscovery';
import type { ScheduleView } from '../../engine/schedules/scheduleEntries';

/** What the view is drawn from. */
export interface FlowsViewData {
  files: readonly FileFlows[];
  schedules: readonly ScheduleView[];
}

/** What to redraw: everything, or the rows of some files and some flows' own rows (by flowKey). */
export type FlowsViewChange = { all: true } | { all: false; files: string[]; flows: string[] };

/** A flow as schedules name it: its source as runs record it (a file's path, `builtin:<id>`) and its name. */
export function flowKey(source: string, flowName: string): string {
  return `${source}\n${flowName}`;
}

/** The schedules of one flow, as its row shows them. */
export function schedulesOf(schedules: readonly ScheduleView[], source: string, flowName: string): ScheduleView[] {
  return schedules.filter((v) => v.entry.source === source && v.entry.flowName === flowName);
}

/** The flows the view lists outside workspace files: the built-in ones, by source and name. */
export interface ListedFlow {
  source: string;
  flowName: string;
}

export function flowsViewChanges(before: FlowsViewData, after: FlowsViewData, builtins: readonly ListedFlow[]): FlowsViewChange {
  if (before.files.length !== after.files.length) return { all: true };
  const files: string[] = [];
  for (let i = 0; i < after.files.length; i++) {
    const was = before.files[i]!;
    const now = after.files[i]!;
    // A file's own row: which file, whether it parses, whether it has rows below (it opens, or says it has
    // none). Anything else about it is its rows below.
    const opens = (f: FileFlows): boolean => f.flows.length + f.problems.length > 0;
    if (was.file !== now.file || JSON.stringify(was.error) !== JSON.stringify(now.error) || opens(was) !== opens(now)) return { all: true };
    if (JSON.stringify([was.flows, was.problems]) !== JSON.stringify([now.flows, now.problems])) files.push(now.file);
  }
  const redrawn = new Set(files);
  const listed: ListedFlow[] = [...builtins];
  for (const f of after.files) if (!redrawn.has(f.file)) for (const flow of f.flows) listed.push({ source: f.file, flowName: flow.name });
  const flows: string[] = [];
  for (const { source, flowName } of listed) {
    const shown = (s: readonly ScheduleView[]): string => JSON.stringify(schedulesOf(s, source, flowName).map((v) => [v.entry, v.paused, v.next, v.refused]));
    if (shown(before.schedules) !== shown(after.schedules)) flows.push(flowKey(source, flowName));
  }
  return { all: false, files, flows };
}
