/**
 * The shape of the Runs view, as plain data: which flow groups show and in what order, and what a run's
 * children are (a summary of many task runs with the failed ones first, subflows after the task run that
 * started them, a "more" entry past a page). Pure (no `vscode`): the tree turns entries into TreeItems,
 * and tests check the shaping directly.
 */
import type { BoundedFold } from '../../engine/boundedFold';
import type { FlowRunSummary, TaskRunRecord } from '../../engine/records';
import { stateType, type StateName, type StateType } from '../../engine/states';

/** From this many task runs on, a run's children start with a summary and list failed task runs first. */
export const SUMMARY_MIN_TASKS = 20;

export interface TaskCounts {
  total: number;
  /** Completed and Cached. */
  completed: number;
  /** Failed, TimedOut and Crashed. */
  failed: number;
  cancelled: number;
  /** Not finished yet (pending, running, awaiting a retry). */
  going: number;
}

export function countTasks(tasks: readonly Pick<TaskRunRecord, 'state'>[]): TaskCounts {
  const c: TaskCounts = { total: 0, completed: 0, failed: 0, cancelled: 0, going: 0 };
  for (const t of tasks) countTask(c, t.state.type);
  return c;
}

function countTask(c: TaskCounts, type: StateType, n = 1): void {
  c.total += n;
  switch (type) {
    case 'COMPLETED':
      c.completed += n;
      break;
    case 'FAILED':
    case 'CRASHED':
      c.failed += n;
      break;
    case 'CANCELLED':
      c.cancelled += n;
      break;
    default:
      c.going += n;
  }
}

function isFailed(t: TaskRunRecord): boolean {
  return t.state.type === 'FAILED' || t.state.type === 'CRASHED';
}

/**
 * What a run's children need of its task runs, taken a batch at a time: their counts, and the first `limit`
 * in the order they started and of the failed ones and the others — never every task run, so a run of a
 * million task runs is listed in bounded memory.
 */
export class TaskDigest {
  readonly counts: TaskCounts = { total: 0, completed: 0, failed: 0, cancelled: 0, going: 0 };
  private readonly first: TaskRunRecord[] = [];
  private readonly failed: TaskRunRecord[] = [];
  private readonly others: TaskRunRecord[] = [];

  constructor(readonly limit: number) {}

  static of(tasks: Iterable<TaskRunRecord>, limit: number): TaskDigest {
    const d = new TaskDigest(limit);
    d.add(tasks);
    return d;
  }

  /** A run going in this window, from its runner's fold: the counts it keeps, the task runs it holds. */
  static ofFold(fold: BoundedFold, limit: number): TaskDigest {
    const d = new TaskDigest(limit);
    for (const [name, n] of Object.entries(fold.counts())) countTask(d.counts, stateType(name as StateName), n);
    for (const t of fold.tasks.values()) d.list(t);
    return d;
  }

  add(tasks: Iterable<TaskRunRecord>): void {
    for (const t of tasks) {
      countTask(this.counts, t.state.type);
      this.list(t);
    }
  }

  private list(t: TaskRunRecord): void {
    if (this.first.length < this.limit) this.first.push(t);
    const list = isFailed(t) ? this.failed : this.others;
    if (list.length < this.limit) list.push(t);
  }

  /** Whether the run's children start with a summary and list failed task runs first. */
  get many(): boolean {
    return this.counts.total >= SUMMARY_MIN_TASKS;
  }

  /** The task runs listed: the first `limit`, failed ones first when there are many. */
  listed(): TaskRunRecord[] {
    return this.many ? [...this.failed, ...this.others].slice(0, this.limit) : [...this.first];
  }
}

/** `500 task runs: 497 ✓ 3 ✗`, then `2 cancelled`, `4 going` when there are any. */
export function taskSummaryLabel(c: TaskCounts): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const parts = [`${n(c.total)} task run${c.total === 1 ? '' : 's'}: ${n(c.completed)} ✓ ${n(c.failed)} ✗`];
  if (c.cancelled > 0) parts.push(`${n(c.cancelled)} cancelled`);
  if (c.going > 0) parts.push(`${n(c.going)} going`);
  return parts.join(' · ');
}

/** The same, for a screen reader: words instead of ✓ and ✗. */
export function taskSummaryAccessibilityLabel(c: TaskCounts): string {
  const parts = [`${c.total} task runs`, `${c.completed} completed`, `${c.failed} failed`];
  if (c.cancelled > 0) parts.push(`${c.cancelled} cancelled`);
  if (c.going > 0) parts.push(`${c.going} not finished`);
  return parts.join(', ');
}

export type RunChild =
  | { kind: 'summary'; counts: TaskCounts }
  | { kind: 'task'; task: TaskRunRecord }
  | { kind: 'subflow'; run: FlowRunSummary }
  | { kind: 'more'; remaining: number };

/**
 * A run's children: up to `limit` task runs (in the order they started; failed ones first once there are
 * SUMMARY_MIN_TASKS or more, under a summary), each followed by the subflow runs it started; subflows of
 * no listed task run come after; then "more" when task runs were left out. `subflows` oldest first.
 */
export function shapeRunChildren(tasks: TaskDigest, subflows: readonly FlowRunSummary[], limit: number): RunChild[] {
  const listed = tasks.listed().slice(0, Math.max(0, limit));
  const listedIds = new Set(listed.map((t) => t.id));
  const byTask = new Map<string, FlowRunSummary[]>();
  const loose: FlowRunSummary[] = [];
  for (const s of subflows) {
    if (s.parentTaskRunId !== undefined && listedIds.has(s.parentTaskRunId)) {
      const list = byTask.get(s.parentTaskRunId);
      if (list) list.push(s);
      else byTask.set(s.parentTaskRunId, [s]);
    } else {
      loose.push(s);
    }
  }
  const out: RunChild[] = tasks.many ? [{ kind: 'summary', counts: { ...tasks.counts } }] : [];
  for (const task of listed) {
    out.push({ kind: 'task', task });
    for (const run of byTask.get(task.id) ?? []) out.push({ kind: 'subflow', run });
  }
  for (const run of loose) out.push({ kind: 'subflow', run });
  if (tasks.counts.total > listed.length) out.push({ kind: 'more', remaining: tasks.counts.total - listed.length });
  return out;
}

export interface FlowEntry {
  flowName: string;
  /** Top-level runs of the flow in the history. */
  runs: number;
  /** Its newest top-level run. */
  last: FlowRunSummary;
}

export interface FlowGroup extends FlowEntry {
  /** Runs the filter keeps; undefined when no filter is on. */
  matching?: number;
}

/**
 * The flow groups to show, newest activity first: with a filter, only flows it names (when it names any)
 * and only flows with runs it keeps, each with that count.
 */
export function shapeFlowGroups(flows: readonly FlowEntry[], filter: { flowNames?: readonly string[] }, matching?: ReadonlyMap<string, number>): FlowGroup[] {
  const named = filter.flowNames && filter.flowNames.length > 0 ? new Set(filter.flowNames) : undefined;
  const groups: FlowGroup[] = [];
  for (const f of flows) {
    if (named && !named.has(f.flowName)) continue;
    if (matching) {
      const count = matching.get(f.flowName) ?? 0;
      if (count === 0) continue;
      groups.push({ ...f, matching: count });
    } else {
      groups.push({ ...f });
    }
  }
  return groups.sort((a, b) => b.last.created - a.last.created || (a.flowName < b.flowName ? -1 : 1));
}
