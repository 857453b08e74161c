/**
 * Follows one run's journal as it grows, whichever process writes it (this window's runner, a CLI run, a
 * worker on another machine): the first read folds the whole journal with the engine's reducer (holding a
 * bounded number of its task runs: boundedFold.ts), later
 * reads start where the last one stopped, so nothing is read twice. Reads are asked for by the source's
 * watch (the file on disk, or the shared store's notifications), by the caller (a run event), and by a
 * slow poll while the run is unfinished (watches can miss changes). Each read hands its records on in
 * batches, as the source yields them (journalSource.ts).
 */
import type { FlowRunSummary, RunRecord } from '../../engine/records';
import { BoundedFold, type FoldBounds } from '../../engine/boundedFold';
import { startFold } from '../../engine/runReducer';
import { isTerminal, type Failure, type StateName } from '../../engine/states';
import { Throttle } from '../util/throttle';
import type { JournalSource } from '../../engine/journalSource';

/** One state a task run went through: the timeline draws its attempts, waits and retries from these. */
export interface TaskStateChange {
  name: StateName;
  ts: number;
  attempt?: number;
  message?: string;
  failure?: Failure;
}

export interface JournalBatch {
  /** Records of this batch, in journal order. */
  records: readonly RunRecord[];
  /** Task runs created or changed. */
  tasks: ReadonlySet<string>;
  /** The run's own state, attempt or result changed. */
  run: boolean;
}

export interface FollowOptions {
  /** Reads asked for within this interval are one read (default 100 ms). */
  intervalMs?: number;
  /** How often an unfinished run's journal is read without a watch event (default: the source's). */
  pollMs?: number;
  /** How many task runs the fold holds (default: BoundedFold's). */
  bounds?: Partial<FoldBounds>;
}

export class JournalFollower {
  private offset = 0;
  private foldState?: BoundedFold;
  private readonly histories = new Map<string, TaskStateChange[]>();
  private reading?: Promise<void>;
  private again = false;
  private unwatch?: () => void;
  private poll?: NodeJS.Timeout;
  private readonly throttle: Throttle;
  private closed = false;
  private following = false;
  /** Lines that were not records (torn or malformed), skipped. */
  skipped = 0;

  constructor(
    private readonly source: JournalSource,
    readonly runId: string,
    private readonly onBatch: (batch: JournalBatch) => void,
    private readonly onError: (error: Error) => void,
    private readonly options: FollowOptions = {},
  ) {
    this.throttle = new Throttle(options.intervalMs ?? 100, () => void this.catchUp());
  }

  /** The run as folded so far, holding a bounded number of its task runs; undefined before the first read found its `run` record. */
  get fold(): BoundedFold | undefined {
    return this.foldState;
  }

  /** Where the next read starts: a byte offset in a journal file, a sequence number in a shared store. */
  get position(): number {
    return this.offset;
  }

  /**
   * The histories kept, by task run id: one for each task run the fold holds, but for one whose whole life
   * is a `trun` record and that started as it was created (a big map's every task run) — its record says
   * it all, and taskHistory reads it from there.
   */
  get taskStates(): ReadonlyMap<string, readonly TaskStateChange[]> {
    return this.histories;
  }

  /** Every state task run `id` went through, in order; undefined when the fold does not hold it. */
  taskHistory(id: string): readonly TaskStateChange[] | undefined {
    const kept = this.histories.get(id);
    if (kept) return kept;
    const t = this.foldState?.tasks.get(id);
    if (t?.startTime === undefined) return undefined;
    const end: TaskStateChange = { name: t.state.name, ts: t.state.timestamp };
    if (t.state.message !== undefined) end.message = t.state.message;
    return [{ name: 'Pending', ts: t.startTime }, { name: 'Running', ts: t.startTime, attempt: Math.max(1, t.attempts) }, end];
  }

  /** Reads whatever was appended since the last read. Calls during a read make one more read after it. */
  catchUp(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          await this.readOnce();
        } while (this.again && !this.closed);
      } catch (e) {
        this.onError(e as Error);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** Asks for a read soon (several asks within the interval are one read). */
  poke(): void {
    if (!this.closed) this.throttle.schedule();
  }

  /** Watches the journal and, while the run is unfinished, polls it. */
  follow(): void {
    if (this.closed || this.following) return;
    this.following = true;
    this.unwatch = this.source.watch(() => this.poke());
    this.schedulePoll();
  }

  /**
   * The index's word on the run: it can hold a state the journal never got (a crash mark written when the
   * file could not be). Returns true when that changed the run.
   */
  mergeSummary(summary: FlowRunSummary): boolean {
    const fold = this.foldState;
    if (!fold) return false;
    const before = fold.run.states.length;
    fold.mergeSummary(summary);
    if (fold.run.states.length === before) return false;
    this.onBatch({ records: [], tasks: new Set(), run: true });
    this.schedulePoll();
    return true;
  }

  close(): void {
    this.closed = true;
    this.throttle.dispose();
    this.unwatch?.();
    this.unwatch = undefined;
    clearTimeout(this.poll);
  }

  private schedulePoll(): void {
    clearTimeout(this.poll);
    this.poll = undefined;
    if (this.closed) return;
    const state = this.foldState?.run.state;
    if (state && isTerminal(state.type)) return;
    this.poll = setTimeout(() => {
      this.poll = undefined;
      void this.catchUp().then(() => this.schedulePoll());
    }, this.options.pollMs ?? this.source.pollMs);
    this.poll.unref?.();
  }

  private async readOnce(): Promise<void> {
    const scan = await this.source.read(this.offset, (records) => {
      if (this.closed) return;
      const tasks = new Set<string>();
      let run = false;
      for (const r of records) {
        if (this.apply(r, tasks)) run = true;
      }
      this.onBatch({ records, tasks, run });
    });
    this.offset = scan.end;
    this.skipped += scan.skipped;
    // A finished run that starts again (a resumed attempt) is polled again too.
    if (this.following && this.poll === undefined) this.schedulePoll();
  }

  /** Folds one record; true when the run itself changed. */
  private apply(r: RunRecord, tasks: Set<string>): boolean {
    if (!this.foldState) {
      if (r.k !== 'run') return false;
      this.foldState = new BoundedFold(startFold(r), this.options.bounds, (id) => this.histories.delete(id));
      return true;
    }
    const change = this.foldState.apply(r);
    if (r.k === 'task' && change === 'task') {
      this.histories.set(r.id, [{ name: 'Pending', ts: r.ts }]);
      tasks.add(r.id);
    } else if (r.k === 'trun' && change === 'task') {
      // A quick task run's whole life in one record: created, started, ended. Started as it was created (a
      // big map's every task run), its task run record says it all (taskStates): no history is kept.
      const history = this.histories.get(r.id) ?? (r.ts === r.start ? undefined : [{ name: 'Pending', ts: r.ts }]);
      if (history) {
        history.push({ name: 'Running', ts: r.start, attempt: r.attempt ?? 1 }, { name: r.state, ts: r.end, ...(r.message !== undefined ? { message: r.message } : {}) });
        this.histories.set(r.id, history);
      }
      tasks.add(r.id);
    } else if (r.k === 'tstate' && change === 'task') {
      const entry: TaskStateChange = { name: r.name, ts: r.ts };
      if (r.attempt !== undefined) entry.attempt = r.attempt;
      if (r.message !== undefined) entry.message = r.message;
      if (r.failure !== undefined) entry.failure = r.failure;
      this.histories.get(r.id)?.push(entry);
      tasks.add(r.id);
    } else if (r.k === 'state' && change === 'run' && isTerminal(this.foldState.run.state.type)) {
      // Task runs the run's end settled (left unfinished) changed too.
      for (const t of this.foldState.tasks.values()) {
        const history = this.histories.get(t.id);
        const last = history?.[history.length - 1];
        if (history && last && last.name !== t.state.name) {
          history.push({ name: t.state.name, ts: t.state.timestamp, ...(t.state.message !== undefined ? { message: t.state.message } : {}) });
          tasks.add(t.id);
        }
      }
    }
    return change === 'run' || change === 'result';
  }
}
