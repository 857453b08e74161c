/**
 * Where a run failed in the user's code, and which failures the Problems panel shows: the latest failed run
 * of each workspace flow, until a later run of that flow completes. Pure (no `vscode`): the diagnostics
 * adapter shows what this decides, tests check the decisions.
 */
import type { FlowRunDetail, FlowRunSummary, TaskRunRecord } from '../../engine/records';
import type { Failure } from '../../engine/states';
import { withoutTerminalEscapes } from '../../engine/terminalText';

export interface FailureSite {
  /** Absolute path of the user's file. */
  file: string;
  /** 1-based, as the stack frame gives them. */
  line: number;
  column: number;
  /** What the Problems panel says: the error with its causes. */
  message: string;
  runId: string;
  runName: string;
  flowName: string;
  /** The flow's source as the run recorded it (a file path or `builtin:<id>`). */
  source: string;
  /** Set when the frame is a task run's (the flow run's own failure had none). */
  taskRunName?: string;
  /** Epoch ms the run ended. */
  at: number;
}

const MESSAGE_LIMIT = 500;

/** `TypeError: x is undefined ← connect ECONNREFUSED` (an `Error` goes without its name). */
export function failureMessage(failure: Failure): string {
  const head = failure.name && failure.name !== 'Error' && !failure.message.startsWith(failure.name) ? `${failure.name}: ${failure.message}` : failure.message;
  const text = withoutTerminalEscapes([head, ...(failure.causes ?? [])].join(' ← '));
  return text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text;
}

/** The failed task run a failed flow run points to: the first that failed with a frame in user code. */
export function failedTaskOf(detail: Pick<FlowRunDetail, 'taskRuns'>): TaskRunRecord | undefined {
  return detail.taskRuns.find((t) => t.state.type === 'FAILED' && t.state.failure?.frame) ?? detail.taskRuns.find((t) => t.state.type === 'FAILED' && t.state.failure);
}

/**
 * The subflow run whose failure failed `run`: a flow run that awaited a subflow which did not complete fails
 * with no failure of its own code, its state naming that subflow run (`subflowRunId`, flowRun.ts); its
 * journal says where. Undefined for any other end.
 */
export function failedSubflowOf<T extends Pick<FlowRunSummary, 'id' | 'name' | 'state'>>(run: Pick<FlowRunDetail, 'state'>, subflows: Iterable<T>): T | undefined {
  if (run.state.type !== 'FAILED' || run.state.failure !== undefined) return undefined;
  const id = run.state.subflowRunId;
  if (id !== undefined) {
    for (const sub of subflows) if (sub.id === id) return sub;
    return undefined;
  }
  // A run recorded before its state named the subflow run has only its message, `Subflow run 'x' ended in
  // state Failed('…')`: the first subflow run of that name that did not complete (two of one name can be
  // mistaken for each other — only such old runs are read this way).
  const message = run.state.message;
  if (message === undefined) return undefined;
  for (const sub of subflows) {
    if (sub.state.type !== 'COMPLETED' && message.startsWith(`Subflow run '${sub.name}' ended in state `)) return sub;
  }
  return undefined;
}

/**
 * Where `detail` failed: the flow run's own failure when it has a frame in user code, else its first
 * failed task run's; with `taskRunId`, that task run's. Undefined when nothing points at a line.
 */
export function failureSiteOf(detail: FlowRunDetail, taskRunId?: string): FailureSite | undefined {
  const base = { runId: detail.id, runName: detail.name, flowName: detail.flowName, source: detail.source, at: detail.endTime ?? detail.state.timestamp };
  if (taskRunId !== undefined) {
    const task = detail.taskRuns.find((t) => t.id === taskRunId);
    const failure = task?.state.failure;
    if (!task || !failure?.frame) return undefined;
    return { ...base, ...failure.frame, message: failureMessage(failure), taskRunName: task.name, at: task.endTime ?? task.state.timestamp };
  }
  // A Crashed run's own failure: where its worker was ended from (an uncaught exception, process.exit()).
  const own = detail.state.type === 'FAILED' || detail.state.type === 'CRASHED' ? detail.state.failure : undefined;
  if (own?.frame) return { ...base, ...own.frame, message: failureMessage(own) };
  const task = failedTaskOf(detail);
  const failure = task?.state.failure;
  if (!task || !failure?.frame) return undefined;
  return { ...base, ...failure.frame, message: failureMessage(own ?? failure), taskRunName: task.name };
}

/** A flow is its name in its file: two flows of one file, or one name in two files, are different flows. */
export function flowKey(run: { source: string; flowName: string }): string {
  return `${run.source}\u0000${run.flowName}`;
}

/**
 * The failures shown, by flow: a finished run of a flow replaces what is known about that flow unless an
 * even later run is already recorded. Only files the predicate accepts (the workspace's) are kept.
 */
export class FailureBook {
  private readonly byFlow = new Map<string, { created: number; site?: FailureSite }>();

  constructor(private readonly inWorkspace: (file: string) => boolean) {}

  /**
   * Takes a finished run into account; returns the files whose failures changed. A Completed run clears its
   * flow's failure; a Failed run (its detail: where it failed) with a site in the workspace sets it, and so
   * does a Crashed run whose flow's code ended its worker (its own failure has a frame); other ends
   * (cancelled, a host that died) leave what was known.
   */
  record(run: Pick<FlowRunSummary, 'source' | 'flowName' | 'created' | 'state'>, detail?: FlowRunDetail): string[] {
    const key = flowKey(run);
    const known = this.byFlow.get(key);
    if (known && known.created > run.created) return [];
    const before = known?.site?.file;
    if (run.state.type === 'COMPLETED') {
      this.byFlow.set(key, { created: run.created });
    } else if (detail && (run.state.type === 'FAILED' || (run.state.type === 'CRASHED' && detail.state.failure?.frame))) {
      const site = failureSiteOf(detail);
      this.byFlow.set(key, site && this.inWorkspace(site.file) ? { created: run.created, site } : { created: run.created });
    } else {
      return [];
    }
    const after = this.byFlow.get(key)?.site?.file;
    return [...new Set([before, after].filter((f): f is string => f !== undefined))];
  }

  /** Whether this run, or a later run of its flow, was taken into account already (nothing to read again). */
  knows(run: Pick<FlowRunSummary, 'source' | 'flowName' | 'created'>): boolean {
    const known = this.byFlow.get(flowKey(run));
    return known !== undefined && known.created >= run.created;
  }

  /** The runs whose failures are shown. */
  shownRunIds(): string[] {
    return [...this.byFlow.values()].flatMap((v) => (v.site ? [v.site.runId] : []));
  }

  /**
   * A run deleted: its failure is no longer shown (an earlier run of its flow is not looked for; the flow's
   * next run says again). Returns the file whose failures changed.
   */
  forget(runId: string): string[] {
    for (const known of this.byFlow.values()) {
      if (known.site?.runId !== runId) continue;
      const file = known.site.file;
      delete known.site;
      return [file];
    }
    return [];
  }

  /** The failures to show in `file`, one per flow, by line. */
  sitesIn(file: string): FailureSite[] {
    const out: FailureSite[] = [];
    for (const { site } of this.byFlow.values()) if (site?.file === file) out.push(site);
    return out.sort((a, b) => a.line - b.line || a.column - b.column);
  }

  files(): string[] {
    return [...new Set([...this.byFlow.values()].flatMap((v) => (v.site ? [v.site.file] : [])))];
  }
}
