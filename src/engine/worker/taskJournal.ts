/**
 * What a task run says about itself, as few records as it can. A task that starts and ends before the
 * worker's buffer goes out (a quick task, most tasks of a big map) is one `trun` record instead of four
 * (`task`, `tstate` Running, `result`, `tstate` Completed). Its start is held back: it goes out as
 * `task` + Running only when the task is still running when the worker falls idle (it waits for I/O:
 * the views show it running within the flush interval), when it logs, retries or fails, when a task run
 * that began after it goes out at its start or ends before it (task runs are on record in the order they
 * began; only a held-back one that logs, retries or fails goes out alone: its neighbours in a map would
 * otherwise all cost four records), or when the process exits. A task with a timeout is never held back:
 * the host must see its deadline at once.
 *
 * Only a task that has shown itself quick is held back. The first run of each task in a worker, and every
 * run of a task whose code last kept the worker busy for SLOW_MS or more before it returned (or returned
 * its promise), goes out Running at once, written before its code runs. A task that keeps the worker busy
 * without yielding (a long synchronous computation) is then shown running while it runs, and a worker that
 * dies in it (out of memory, a native crash) leaves the task run on record, Crashed with its flow run,
 * rather than no trace of it. What that costs a big map of quick tasks is one task run's four records.
 */
import type { StateName } from '../states';
import { state, type Failure, type State } from '../states';
import type { CallIdentity, TaskRunCompact } from '../records';
import { armIdle, onIdle, sendLine } from './eventPipe';
import { emit, masked, masker } from './hostLink';
import { compactTaskLine } from './compactTaskLine';
import { sendResult, type Kept } from './results';

export interface TaskExtras {
  cacheKey?: string;
  tags?: string[];
  call?: CallIdentity;
  reusedFrom?: { attempt: number; taskRunId: string };
}

/**
 * Task runs whose start is held back, oldest first: a list through the journals themselves, so holding and
 * letting go cost a big map's task runs no allocation and no lookup (whoever must release one has it).
 */
let firstHeld: TaskJournal | undefined;
let lastHeld: TaskJournal | undefined;

/** A task whose code keeps the worker this long (ms) before it returns is not quick: its next runs go out at their start. */
export const SLOW_MS = 50;

/** By task name: true once its code last returned within SLOW_MS, false once it took longer. */
const quick = new Map<string, boolean>();
/**
 * Task names followed at most. Tasks made on the fly with names of their own (`task({ name: \`fetch-${id}\` })`
 * in a loop) would each be a first run: past this many names, a new one is held back as a quick task's is.
 */
const MAX_NAMES = 1_000;

/** Every held-back start goes out (the worker is idle or exiting: what is running must be shown). */
export function releaseHeld(): void {
  while (firstHeld) firstHeld.materialize();
}

onIdle(releaseHeld, () => firstHeld !== undefined);

export class TaskJournal {
  private started = false;
  private startTs = 0;
  private attempt = 1;
  /** Neighbours in the list of held-back starts, while this one is in it. */
  private prevHeld: TaskJournal | undefined = undefined;
  private nextHeld: TaskJournal | undefined = undefined;
  private isHeld = false;
  /** When the current attempt began. */
  private begunAt = 0;
  /** What was known of the task when the attempt began: quick (then it was held back), not, or nothing yet. */
  private knownQuick: boolean | undefined = undefined;

  constructor(
    private readonly runId: string,
    readonly id: string,
    private readonly name: string,
    private readonly taskName: string,
    private readonly ts: number,
    private readonly extras: TaskExtras,
  ) {}

  /** Attempt `attemptNo` begins (at `at`); held back when it can be. */
  begin(attemptNo: number, deadline?: number, at = Date.now()): void {
    this.attempt = attemptNo;
    this.begunAt = at;
    const first = attemptNo === 1 && deadline === undefined && !this.started;
    this.knownQuick = quick.get(this.taskName);
    if (first && (this.knownQuick ?? quick.size >= MAX_NAMES)) {
      this.startTs = at;
      this.hold();
      armIdle();
      return;
    }
    // The task's first run or a slow task: on record before its code runs, which may keep the worker from
    // writing until it returns — after the task runs held back, which began before it (a task that turned
    // slow mid-map: its next runs go out at their start, after the earlier ones still held back).
    if (!this.started) releaseHeld();
    this.materialize();
    this.state(attemptNo === 1 ? 'Running' : 'Retrying', undefined, { attempt: attemptNo, ...(deadline !== undefined ? { deadline } : {}) }, first);
  }

  /**
   * The task's code has returned (a promise, for async code): whether it kept the worker busy for
   * SLOW_MS or more decides whether the task's next runs are held back.
   */
  ran(now = Date.now()): void {
    const isQuick = now - this.begunAt < SLOW_MS;
    if (isQuick !== this.knownQuick && (this.knownQuick !== undefined || quick.size < MAX_NAMES)) quick.set(this.taskName, isQuick);
  }

  /** The task run's creation (and, if it started, its start) goes out now. */
  materialize(): void {
    if (this.started) return;
    this.started = true;
    this.letGo();
    emit({ k: 'task', runId: this.runId, id: this.id, name: this.name, taskName: this.taskName, ts: this.ts, ...this.extras });
    if (this.startTs !== 0) emit({ k: 'tstate', runId: this.runId, id: this.id, name: 'Running', ts: this.startTs, attempt: this.attempt });
  }

  /** A state change; everything before it goes out first. */
  state(name: StateName, message?: string, extra?: { attempt?: number; deadline?: number; failure?: Failure }, urgent = false): State {
    this.materialize();
    const s = state(name, message, Date.now(), extra?.failure);
    const record = { k: 'tstate' as const, runId: this.runId, id: this.id, name, ts: s.timestamp, ...(message !== undefined ? { message } : {}), ...extra };
    // A deadline must reach the host now: it kills a worker that cannot stop by itself.
    emit(record, urgent || extra?.deadline !== undefined);
    return s;
  }

  /** The task run ended `name` (Completed, Cached) with what was kept of its result. */
  end(name: StateName, kept?: Kept, message?: string): State {
    const now = Date.now();
    if (this.started) {
      if (kept) sendResult(this.runId, this.id, kept);
      return this.state(name, message);
    }
    // Task runs held back before it, still going (it overtook them), go out first: on record in the order
    // they began. (In a map of quick tasks they end in order, and none is.)
    while (firstHeld !== undefined && firstHeld !== this) firstHeld.materialize();
    this.letGo();
    this.started = true;
    // Filled in place, not spread together: a big map makes one of these per task run.
    const record: Omit<TaskRunCompact, 'value'> = { k: 'trun', runId: this.runId, id: this.id, name: this.name, taskName: this.taskName, ts: this.ts, start: this.startTs || now, end: now, state: name };
    if (this.attempt !== 1) record.attempt = this.attempt;
    if (message !== undefined) record.message = message;
    const x = this.extras;
    if (x.cacheKey !== undefined) record.cacheKey = x.cacheKey;
    if (x.tags !== undefined) record.tags = x.tags;
    if (x.call !== undefined) record.call = x.call;
    if (x.reusedFrom !== undefined) record.reusedFrom = x.reusedFrom;
    if (kept?.kind === 'file') record.ref = kept.ref;
    else if (kept?.kind === 'dropped') record.note = kept.note;
    sendLine(compactTaskLine(masker.size > 0 ? (masked(record as TaskRunCompact) as TaskRunCompact) : record, kept?.kind === 'inline' ? kept.text : undefined), false, now);
    return state(name, message, now);
  }

  private hold(): void {
    if (this.isHeld) return;
    this.isHeld = true;
    this.prevHeld = lastHeld;
    if (lastHeld) lastHeld.nextHeld = this;
    else firstHeld = this;
    lastHeld = this;
  }

  private letGo(): void {
    if (!this.isHeld) return;
    this.isHeld = false;
    if (this.prevHeld) this.prevHeld.nextHeld = this.nextHeld;
    else firstHeld = this.nextHeld;
    if (this.nextHeld) this.nextHeld.prevHeld = this.prevHeld;
    else lastHeld = this.prevHeld;
    this.prevHeld = this.nextHeld = undefined;
  }
}
