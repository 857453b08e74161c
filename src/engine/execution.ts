/**
 * One worker's runs as the host keeps them: the root run and its subflows, each folded from its records
 * (the same reducer the store replays with) and journaled as the records arrive. The host ends a run
 * itself when the worker cannot: a timeout the code ignores, a cancel, a crash, a store that cannot
 * be written.
 */
import { finishedLog } from './finishedLog';
import type { OutOfMemoryWatch } from './outOfMemory';
import { ENGINE_SOURCE } from './logFormat';
import { currentProcess } from './processIdentity';
import { workerExitText } from './workerExit';
import type { FlowInfo } from './protocol';
import type { ArtifactRecord, FlowRunDetail, FlowRunSummary, LogLevel, LogRecord, RunRecord, TaskRunRecord } from './records';
import { BoundedFold } from './boundedFold';
import { PendingLines } from './pendingLines';
import { applyRecord, startFold, summaryOf, type Change, type RunFold } from './runReducer';
import type { RunRequest } from './runRequest';
import type { RunHandle, RunStore } from './runStore';
import { isSettled, isTerminal, leftUnfinishedBy, state, stateType, type Failure, type State, type StateName } from './states';
import type { WorkerProcess } from './workerProcess';
import { stateRecord } from './stateRecord';

export interface ExecutionEvents {
  run(summary: FlowRunSummary): void;
  task(runId: string, task: TaskRunRecord): void;
  log(record: LogRecord): void;
  storeError(runId: string, error: Error): void;
  /** An artifact a run created, as folded (a progress artifact's updates each come here). */
  artifact(record: ArtifactRecord): void;
}

export interface LiveRun {
  handle: RunHandle;
  fold: RunFold;
  /** With `bounded`: the fold seen through BoundedFold, which lets go of task runs it no longer needs. */
  bounded?: BoundedFold;
  /** Journal lines received but not yet handed to the store. */
  pending: PendingLines;
  /** Resolves once the lines last handed to the store are written (or failed). */
  written?: Promise<void>;
  /** A write of this run's records failed: it cannot end Completed (its record would be incomplete). */
  writeError?: Error;
  /** Its final state is waiting for the journal to be on disk. */
  finishing?: boolean;
  /** Settles once its final state is written (or failed) and reported. */
  ended?: Promise<void>;
  /** The Paused state (its time) a resume was sent for: a second resume of that pause is refused. */
  resumedPause?: number;
  /** Tags whose limit its task runs have waited for: the run's log says so once for each. */
  slotWaits?: Set<string>;
}

/** A run's place among its host's `maxConcurrentRuns`: held while it goes (Runner.withSlot). */
export interface RunSeat {
  held: boolean;
}

/** After a failed write, how often and how long the runs' ends are tried again. */
const STORE_RETRIES = 20;
const STORE_RETRY_MS = 500;

interface Deadline {
  at: number;
  label: string;
  seconds: number;
  /** A task run's deadline: the flow run it belongs to. */
  taskOf?: string;
}

/** Said once a run refreshing the cache starts (each attempt): why its cached tasks run. */
export const REFRESHING_CACHE = 'Refreshing the cache: tasks with a cacheKey run instead of returning a cached result, and their results replace the cached ones';

export class Execution {
  readonly runs = new Map<string, LiveRun>();
  /** Entity id (flow or task run) → when it must have left its running state. */
  readonly deadlines = new Map<string, Deadline>();
  /** Parent run id → the `ended` of its subflow runs here whose final state is on its way. */
  private readonly subflowEnding = new Map<string, Promise<void>[]>();
  root!: LiveRun;
  flow?: FlowInfo;
  cancelRequested = false;
  /** Set while the run waits for a slot of its flow (Runner.flowSlot): aborted, it stops waiting. */
  slotWait?: AbortController;
  /** It holds a slot of its flow's `concurrencyLimit` (runner.flowSlot), until `done`. */
  holdsFlowSlot = false;
  /**
   * Its run slot among the host's `maxConcurrentRuns` (Runner.withSlot), given back when it ends — or while
   * it waits for a slot of its flow, and taken again once it has that slot.
   */
  seat?: RunSeat;
  killReason?: { name: StateName; message: string };
  /** What the worker said it died of (a `fatal` message: "after …"), and where in the user's code. */
  fatal?: string;
  fatalFailure?: Failure;
  /** Its stderr, read for Node's words when it runs out of memory. */
  memory?: OutOfMemoryWatch;
  /** Settles once the root run's final state is on record and reported (set when that state arrives). */
  rootEnded?: Promise<void>;
  /** Writes in flight; the run is settled only after all of them. */
  private readonly work = new Set<Promise<unknown>>();
  private storeFailure?: Error;
  /** Set while a resume's takeover is written under its signal (FlowRunner.adoptRoot): a write it gives up abandons this. */
  givingUpOn?: AbortSignal;
  /** Given up before its attempt was on record (givingUpOn): ends nothing, shows nothing. */
  private abandoned = false;
  /** Store errors said so far, by run and message. */
  private readonly saidStoreErrors = new Set<string>();
  private resolveDone!: (d: FlowRunDetail) => void;
  readonly done: Promise<FlowRunDetail>;

  constructor(
    readonly worker: WorkerProcess,
    readonly request: RunRequest,
    readonly modulePath: string,
    private readonly store: RunStore,
    private readonly events: ExecutionEvents,
    private readonly options: { bounded?: boolean } = {},
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get id(): string {
    return this.root.fold.detail.id;
  }
  get name(): string {
    return this.root.fold.detail.name;
  }
  get flowName(): string {
    return this.root.fold.detail.flowName;
  }

  /** Adopts a run just created in the store. */
  adopt(handle: RunHandle, created: Extract<RunRecord, { k: 'run' }>): LiveRun {
    return this.adoptFold(handle, startFold(created));
  }

  /** Adopts a run of an earlier attempt, to resume it: its history so far is the fold to go on from. */
  adoptExisting(handle: RunHandle, detail: FlowRunDetail): LiveRun {
    return this.adoptFold(handle, { detail: { ...detail, taskRuns: [...detail.taskRuns] }, tasks: new Map(detail.taskRuns.map((t) => [t.id, t])) });
  }

  private adoptFold(handle: RunHandle, fold: RunFold): LiveRun {
    const live: LiveRun = { handle, fold, pending: new PendingLines() };
    if (this.options.bounded) live.bounded = new BoundedFold(fold);
    this.runs.set(handle.id, live);
    this.events.run(summaryOf(live.fold.detail));
    return live;
  }

  /** Subflow runs of earlier attempts, by parent run id: a resumed parent finds them again by call identity. */
  readonly prior = new Map<string, FlowRunDetail[]>();

  /** Completed subflow runs of earlier attempts whose result a call of this attempt was given: no other call is. */
  readonly reusedPrior = new Set<string>();

  /**
   * Subflow run id → the attempt of its parent whose call took it last: each run is taken by one call of an
   * attempt (a run of an earlier execution, `prior`, by one call of this execution).
   */
  readonly subflowCalledIn = new Map<string, number>();

  /** The run ends in another execution (a resumed attempt): this one's `done` settles with that one's. */
  handOver(next: Promise<FlowRunDetail>): void {
    void next.then((d) => this.resolveDone(d));
  }

  /** Tracks a write; a failed one ends the run Failed (never Crashed), and the host lives on. */
  track(runId: string, p: Promise<unknown>): void {
    const tracked = p.catch((e: Error) => this.onStoreError(runId, e));
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }

  private onStoreError(runId: string, error: Error): void {
    // The takeover's write given up by its signal (Ctrl-C as a resume begins): the run is as the store holds
    // it, and this attempt, which never began there, ends nothing — no state shown, none written.
    if (this.givingUpOn?.aborted && error === this.givingUpOn.reason) {
      this.abandoned = true;
      this.worker.killGroup();
      return;
    }
    const live = this.runs.get(runId);
    if (live) live.writeError ??= error;
    // Said once: every batch queued while the store was away fails alike (a lease lost: a hundred of them).
    const said = `${runId}\0${error.message}`;
    if (!this.saidStoreErrors.has(said)) {
      this.saidStoreErrors.add(said);
      this.events.storeError(runId, error);
    }
    if (this.storeFailure) return;
    this.storeFailure = error;
    this.killReason ??= { name: 'Failed', message: `Flowdeck could not record the run, so it was stopped: ${error.message}` };
    this.worker.killGroup();
  }

  /** The write that failed, once one has: the run cannot end Completed and its worker is being stopped. */
  get failedToRecord(): Error | undefined {
    return this.storeFailure;
  }

  async settled(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  /** Journal lines queued during one chunk of worker output go to the store together. */
  flushPending(): void {
    for (const [id, live] of this.runs) {
      if (live.pending.isEmpty) continue;
      const written = live.handle.appendText(live.pending.take());
      live.written = written.catch(() => undefined);
      this.track(id, written);
      // A store writing behind the run (Postgres) that is too far behind: the worker waits for it, not the host's memory.
      if (live.handle.overBacklog && !this.worker.holdingEvents) {
        const behind = live.handle.overBacklog();
        if (behind) this.worker.holdEvents(behind);
      }
    }
  }

  /** A journal record from the worker: kept as the very line it came as (its text, or its bytes as they came). */
  workerRecord(live: LiveRun, r: RunRecord, line: string | { chunk: Buffer; start: number; end: number }): void {
    if (typeof line === 'string') live.pending.add(`${line}\n`);
    else live.pending.addBytes(line.chunk, line.start, line.end);
    this.fold(live, r);
  }

  /** A record the host itself writes (engine log lines, states it decides). */
  record(live: LiveRun, r: RunRecord): void {
    live.pending.add(`${JSON.stringify(r)}\n`);
    this.fold(live, r);
  }

  /** Records `live`'s handle has written already (its state too): folded and shown, not written again. */
  written(live: LiveRun, records: readonly RunRecord[]): void {
    for (const r of records) this.fold(live, r);
    this.events.run(summaryOf(live.fold.detail));
  }

  /** Folds a record and tells listeners; journal text is queued by the caller. */
  fold(live: LiveRun, r: RunRecord): void {
    const newKey = r.k === 'artifact' && !live.fold.detail.artifacts?.some((a) => a.key === r.key);
    const change = this.apply(live, r);
    if (change === 'task') {
      const id = r.k === 'task' || r.k === 'tstate' || r.k === 'trun' ? r.id : undefined;
      const t = id !== undefined ? live.fold.tasks.get(id) : undefined;
      if (t) this.events.task(live.fold.detail.id, t);
    } else if (change === 'log' && r.k === 'log') {
      this.events.log(r);
    } else if (change === 'artifact' && r.k === 'artifact') {
      if (newKey) {
        // The index learns the key once the journal holds the artifact (the handle waits for that).
        this.flushPending();
        this.track(live.fold.detail.id, live.handle.addArtifactKeys([r.key]));
      }
      this.events.artifact(r);
    }
  }

  private apply(live: LiveRun, r: RunRecord): Change {
    return live.bounded ? live.bounded.apply(r) : applyRecord(live.fold, r);
  }

  log(live: LiveRun, level: LogLevel, source: string, message: string, ts = Date.now()): void {
    this.record(live, { k: 'log', runId: live.fold.detail.id, ts, level, source, message });
  }

  /**
   * A flow run's new state: folded and shown at once, written to the index after the journal. A final
   * state is written only once everything before it is, and is reported only when durable — in the
   * journal, which decides how a run ended should its host die before the index hears (journalEnd.ts); if
   * any of the run's records could not be written, the run ends Failed saying so, never Completed.
   */
  flowState(live: LiveRun, r: Extract<RunRecord, { k: 'state' }>, line?: string): Promise<void> {
    const detail = live.fold.detail;
    if (isSettled({ type: stateType(r.name), name: r.name }) && r.name !== 'AwaitingRetry') {
      if (live.finishing || isSettled(detail.state)) return Promise.resolve();
      live.finishing = true;
      this.flushPending();
      const finished = this.finishedLog(live, r);
      // The final state and its log line are written once all before them is durable, and never if any of
      // it failed; a parent's once its subflows' ends are (none on record ended before a subflow of it).
      const journaled: Promise<boolean> = this.subflowEnds(detail.id).then(() =>
        live.writeError || !live.handle.appendAfterAll
          ? live.handle.flush().then(() => false)
          : live.handle.appendAfterAll(`${line ?? JSON.stringify(r)}\n${JSON.stringify(finished)}\n`).then(
              () => true,
              (e: Error) => {
                if (!live.writeError) this.onStoreError(detail.id, e);
                return false;
              },
            ),
      );
      const done = journaled.then((written) => {
        live.finishing = false;
        if (written) return this.applyState(live, r, line, finished);
        const final: Extract<RunRecord, { k: 'state' }> = live.writeError
          ? { k: 'state', runId: detail.id, name: 'Failed', ts: Date.now(), message: `Flowdeck could not record the run, so it was stopped: ${live.writeError.message}` }
          : r;
        return this.applyState(live, final, live.writeError ? undefined : line);
      });
      live.ended = done;
      if (detail.parentRunId !== undefined) {
        const siblings = this.subflowEnding.get(detail.parentRunId);
        if (siblings) siblings.push(done);
        else this.subflowEnding.set(detail.parentRunId, [done]);
      }
      this.track(detail.id, done);
      // Right after the state is reported (`done` also waits for the index).
      if (live === this.root) this.rootEnded = journaled.then(() => undefined);
      return done;
    }
    return this.applyState(live, r, line);
  }

  /** Settles once the final states of `parentId`'s subflow runs here that are ending are written and reported. */
  private async subflowEnds(parentId: string): Promise<void> {
    const ends = this.subflowEnding.get(parentId);
    if (!ends) return;
    this.subflowEnding.delete(parentId);
    await Promise.allSettled(ends);
  }

  /** The engine's line after a run's final state `r`. */
  private finishedLog(live: LiveRun, r: Extract<RunRecord, { k: 'state' }>): LogRecord {
    return finishedLog(live.fold.detail.name, { ...r, runId: live.fold.detail.id });
  }

  /** `journaled`: a final state whose line and this log line are durable in the journal already. */
  private applyState(live: LiveRun, r: Extract<RunRecord, { k: 'state' }>, line: string | undefined, journaled?: LogRecord): Promise<void> {
    if (this.abandoned) return Promise.resolve();
    const detail = live.fold.detail;
    // A new attempt may be run by another process than the last (a run created ahead of time is taken up by takeUp).
    const takesOver = r.name === 'AwaitingRetry';
    if (this.apply(live, r) === 'none') return Promise.resolve();
    const s = detail.state;
    const done = isSettled(s);
    if (journaled) this.fold(live, journaled);
    else {
      live.pending.add(line !== undefined ? `${line}\n` : `${JSON.stringify(r)}\n`);
      if (done) this.record(live, this.finishedLog(live, r));
    }
    this.flushPending();
    const times = {
      ...(detail.startTime !== undefined ? { startTime: detail.startTime } : {}),
      ...(detail.endTime !== undefined ? { endTime: detail.endTime } : {}),
      attempt: detail.attempt,
      ...(takesOver ? { owner: currentProcess() } : {}),
    };
    if (!done) {
      // The index follows the journal, and a state already followed by another (a quick run's Running by
      // its end, final once it is written) is not written there at all: its successor's write says the same and more, and one
      // synced index write fewer goes alongside the run's last journal writes. A state that changes the
      // run's owner is always written, at once: the owner is what tells a live run from a crashed one.
      const indexed = takesOver ? live.handle.setState(s, times) : (live.written ?? Promise.resolve()).then(() => (detail.state === s && !live.finishing ? live.handle.setState(s, times) : undefined));
      this.track(detail.id, indexed);
      this.events.run(summaryOf(detail));
      return Promise.resolve();
    }
    if (journaled) {
      // Durable in the journal, which decides how the run ended from now on (journalEnd.ts): reported now,
      // not one synced index write later — once this process's index has it (setState applies it at once).
      const indexed = live.handle.setState(s, times).catch((e: Error) => this.onStoreError(detail.id, e));
      this.events.run(summaryOf(detail));
      this.track(detail.id, indexed);
      return indexed;
    }
    const written = live.handle
      .flush()
      .then(() => live.handle.setState(s, times))
      .catch((e: Error) => this.onStoreError(detail.id, e))
      .then(() => this.events.run(summaryOf(detail)));
    this.track(detail.id, written);
    return written;
  }

  createdLog(live: LiveRun): void {
    const d = live.fold.detail;
    this.log(live, 'INFO', ENGINE_SOURCE, `Created flow run '${d.name}' for flow '${d.flowName}'`, d.created);
    if (d.refreshCache && d.parentRunId === undefined) this.log(live, 'INFO', ENGINE_SOURCE, REFRESHING_CACHE, d.created);
  }

  /** Ends every run the worker left unfinished, in the state its end calls for. */
  async finish(how: { code: number | null; signal: NodeJS.Signals | null }): Promise<void> {
    await this.settled();
    const unfinished = [...this.runs.values()].filter((r) => !isSettled(r.fold.detail.state) && !r.finishing);
    if (unfinished.length > 0) {
      const final = this.finalState(how);
      // A subflow run its parent left running when it ended (not awaited), the worker then ending as told:
      // ended as its parent's end leaves it, not as a crash. Parents first, so a subflow's own ones follow it.
      const cutOff = new Map<string, State>();
      const endedAsTold = how.code === 0 && how.signal === null && !this.killReason && !this.cancelRequested;
      for (const live of endedAsTold ? unfinished : []) {
        const d = live.fold.detail;
        const parent = d.parentRunId !== undefined ? this.runs.get(d.parentRunId)?.fold.detail : undefined;
        const parentEnd = parent && (isTerminal(parent.state.type) ? parent.state : cutOff.get(parent.id));
        if (parent && parentEnd) cutOff.set(d.id, state(leftUnfinishedBy(parentEnd), `its parent flow run '${parent.name}' ended in state ${parentEnd.name} while it ran`, final.timestamp));
      }
      // Subflows first: a parent ends after its children.
      for (const live of unfinished.reverse()) {
        void this.flowState(live, stateRecord(live.fold.detail.id, cutOff.get(live.fold.detail.id) ?? final));
      }
    }
    this.flushPending();
    await this.settled();
    if (this.storeFailure) await this.recordEndsAfterStoreFailure();
    for (const live of this.runs.values()) await live.handle.close().catch(() => undefined);
  }

  /**
   * After a failed write (a full disk) the runs' ends may not be on record: try again for a while, so
   * that once there is room (the user freed some) the store says Failed with the reason rather than,
   * on its next open, Crashed.
   */
  private async recordEndsAfterStoreFailure(): Promise<void> {
    const left = new Set(this.runs.values());
    for (let attempt = 0; attempt < STORE_RETRIES && left.size > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, STORE_RETRY_MS));
      for (const live of [...left]) {
        const d = live.fold.detail;
        try {
          await live.handle.append([stateRecord(d.id, d.state)]);
          await live.handle.setState(d.state, { ...(d.startTime !== undefined ? { startTime: d.startTime } : {}), ...(d.endTime !== undefined ? { endTime: d.endTime } : {}), attempt: d.attempt });
          left.delete(live);
        } catch {
          // Still no room: the next attempt may have it.
        }
      }
    }
  }

  private finalState(how: { code: number | null; signal: NodeJS.Signals | null }): State {
    const now = Date.now();
    if (this.killReason) return state(this.killReason.name, this.killReason.message, now);
    if (this.cancelRequested) return state('Cancelled', 'Cancelled by request; the worker process was stopped', now);
    return state('Crashed', this.crashText(how), now, this.fatalFailure);
  }

  /** What a worker that went without a word of its end died of: "Worker process exited unexpectedly (…) after …". */
  crashText(how: { code: number | null; signal: NodeJS.Signals | null }): string {
    const fatal = this.fatal ?? this.memory?.diedOf(how);
    return `Worker process exited unexpectedly (${workerExitText(how, fatal === undefined)})${fatal ? ` after ${fatal}` : ''}`;
  }

  /** Runs adopted from an earlier attempt that this attempt never took up again. */
  get untouchedPrior(): FlowRunDetail[] {
    return [...this.prior.values()].flat().filter((d) => !this.runs.has(d.id));
  }

  resolve(): void {
    const d = this.root.fold.detail;
    this.resolveDone(this.root.bounded ? this.root.bounded.detail() : { ...d, taskRuns: [...d.taskRuns] });
  }

  /** The store the runs are kept in (for the runner's requests). */
  get runStore(): RunStore {
    return this.store;
  }
}
