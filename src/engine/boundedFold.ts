/**
 * A run folded by the one reducer while holding a bounded number of its task runs — for the editor, which
 * shows a run (its details panel, a run it started) but must not hold a map of a million task runs. It
 * holds every unfinished task run (the reducer still has records to fold into them), the first `first` to
 * be created and up to `failed` failed ones (what the timeline draws and the failure card points at),
 * and a finished one for `window` records after its last change, in case a late record is about it. The
 * others are let go once finished; what it knows of them is counted by state, so the counts stay exact.
 */
import { Fifo } from './fifo';
import type { FlowRunDetail, FlowRunSummary, RunRecord, TaskRunRecord } from './records';
import { applyRecord, mergeIndexState, taskRunOf, type Change, type RunFold } from './runReducer';
import { isTerminal, type StateName } from './states';

export interface FoldBounds {
  /** The first task runs created are held whatever happens to them. */
  first: number;
  /** Failed (or crashed) task runs held besides those. */
  failed: number;
  /** Records after a finished task run's last change during which it is still held. */
  window: number;
}

/** As many as the details panel's timeline draws (MAX_TIMELINE_TASKS), and as many failed ones again. */
export const DEFAULT_FOLD_BOUNDS: FoldBounds = { first: 20_000, failed: 20_000, window: 4096 };

/** What `tracked` says of a failed task run kept for good. */
const KEPT = -1;

export type TaskStateCounts = Partial<Record<StateName, number>>;

export class BoundedFold {
  private readonly bounds: FoldBounds;
  /**
   * The task runs after the first `first` (those are held for good) that are still held: when each last
   * changed (among the records), or KEPT.
   */
  private readonly tracked = new Map<string, number>();
  /** Finished task runs in the order they finished, to let go of once their window has passed. */
  private finished = new Fifo<{ id: string; at: number }>();
  private readonly letGo = new Map<StateName, number>();
  private created = 0;
  private failedHeld = 0;
  private at = 0;

  /**
   * `fold` may already hold task runs (a resumed run's earlier attempts). `onLetGo` hears of each task
   * run let go, so that what a caller keeps beside it (its states) can go too.
   */
  constructor(
    readonly fold: RunFold,
    bounds: Partial<FoldBounds> = {},
    private readonly onLetGo?: (id: string) => void,
  ) {
    this.bounds = { ...DEFAULT_FOLD_BOUNDS, ...bounds };
    this.takeCreated();
    for (const [id, t] of fold.tasks) if (isTerminal(t.state.type)) this.finished.push({ id, at: 0 });
    this.release(true);
  }

  /** Folds one record with the reducer, then lets go of the task runs it no longer needs. */
  apply(r: RunRecord): Change {
    const change = applyRecord(this.fold, r);
    this.at++;
    this.takeCreated();
    if (change === 'task' || change === 'result') {
      const id = taskRunOf(r);
      const at = id === undefined ? undefined : this.tracked.get(id);
      // A failed task run kept for good stays so, whatever comes after.
      if (at !== undefined && at !== KEPT) {
        this.tracked.set(id!, this.at);
        if (isTerminal(this.fold.tasks.get(id!)!.state.type)) this.finished.push({ id: id!, at: this.at });
      }
    } else if (r.k === 'state' && change === 'run') {
      this.settled();
    }
    this.release(isTerminal(this.fold.detail.state.type));
    return change;
  }

  /** The index's word on the run (mergeIndexState), which may end it. */
  mergeSummary(summary: FlowRunSummary): void {
    const states = this.fold.detail.states.length;
    mergeIndexState(this.fold, summary);
    if (this.fold.detail.states.length === states) return;
    this.at++;
    this.settled();
    this.release(isTerminal(this.fold.detail.state.type));
  }

  /** The flow run without its task runs (`taskRuns` is empty): the live object, cheap to read. */
  get run(): FlowRunDetail {
    return this.fold.detail;
  }

  /** The held task runs by id, in the order they were created. */
  get tasks(): ReadonlyMap<string, TaskRunRecord> {
    return this.fold.tasks;
  }

  /** The flow run with the task runs it holds, in the order they were created. */
  detail(): FlowRunDetail {
    return { ...this.fold.detail, taskRuns: [...this.fold.tasks.values()] };
  }

  /** How many task runs the run has: held or let go. */
  get total(): number {
    return this.created;
  }

  /** How many task runs are in each state, held or let go. */
  counts(): TaskStateCounts {
    const counts: TaskStateCounts = Object.fromEntries(this.letGo);
    for (const t of this.fold.tasks.values()) counts[t.state.name] = (counts[t.state.name] ?? 0) + 1;
    return counts;
  }

  /** After a state of the flow run: if final, it settled every unfinished task run, and no task record follows it. */
  private settled(): void {
    if (!isTerminal(this.fold.detail.state.type)) return;
    for (const [id, at] of this.tracked) {
      const t = this.fold.tasks.get(id);
      if (at !== KEPT && t && isTerminal(t.state.type)) {
        this.tracked.set(id, this.at);
        this.finished.push({ id, at: this.at });
      }
    }
  }

  /**
   * Task runs the reducer created are listed in the fold's `taskRuns`, which would hold them all: they are
   * held here instead. The first `first` are held for good, so only the later ones are tracked.
   */
  private takeCreated(): void {
    const list = this.fold.detail.taskRuns;
    if (list.length === 0) return;
    for (const t of list) {
      const n = this.created++;
      if (n >= this.bounds.first) this.tracked.set(t.id, this.at);
    }
    list.length = 0;
  }

  /** Lets go of the finished task runs whose window has passed (every finished one, `all`) that are not kept. */
  private release(all: boolean): void {
    const until = all ? Infinity : this.at - this.bounds.window;
    for (let f = this.finished.peek(); f !== undefined && f.at <= until; f = this.finished.peek()) {
      this.finished.shift();
      const { id, at } = f;
      const t = this.fold.tasks.get(id);
      // Held for good (one of the first), changed since (a later entry stands for it), kept already, or not finished after all.
      if (this.tracked.get(id) !== at || !t || !isTerminal(t.state.type)) continue;
      if ((t.state.type === 'FAILED' || t.state.type === 'CRASHED') && this.failedHeld < this.bounds.failed) {
        this.failedHeld++;
        this.tracked.set(id, KEPT);
        continue;
      }
      this.tracked.delete(id);
      this.fold.tasks.delete(id);
      this.letGo.set(t.state.name, (this.letGo.get(t.state.name) ?? 0) + 1);
      this.onLetGo?.(id);
    }
  }
}
