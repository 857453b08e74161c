/**
 * The run store: what every backend (the embedded files under FLOWDECK_HOME; Postgres) offers the
 * runner, the CLI and the editor. Asynchronous throughout, so no caller ever waits on the disk or the
 * network with its thread.
 */
import type { ArtifactInfo } from './artifactInfo';
import type { Artifact } from './artifacts';
import type { JournalText } from './journalFile';
import type { KeyValueStore } from './keyValueStore';
import type { LimitStore } from './limits/limitStore';
import type { CallIdentity, FlowRunDetail, FlowRunSummary, LogRecord, ProcessIdentity, ResultRef, RunCreatedRecord, RunFlowFacts, RunNameRecord, RunRecord, RunTrigger } from './records';
import type { ResultCache } from './resultCache';
import type { RunChangeListener } from './runChanges';
import type { RunParts, RunPartsOptions, WithoutArtifactData } from './runTaskStream';
import type { ScheduleStore } from './schedules/scheduleStore';
import type { CancelOutcome, SharedStore } from './sharedStore';
import type { State, StateName, StateType } from './states';
import type { VariableStore } from './variables';

/** Tags RunStore.tags lists at most (a picker's worth). */
export const MAX_LISTED_TAGS = 200;

export interface ListOptions {
  limit?: number;
  offset?: number;
  /** Only runs of these flows. */
  flowNames?: readonly string[];
  /** Only runs whose state has one of these types. */
  stateTypes?: readonly StateType[];
  /** Only runs whose state has one of these names (`Suspended`, `TimedOut`); with `stateTypes`, runs of either. */
  stateNames?: readonly StateName[];
  /** Only top-level runs (no subflows). */
  rootsOnly?: boolean;
  /** Only the direct subflows of this run. */
  parentRunId?: string;
  /** Runs whose name, flow's name or a tag contains this text (case-insensitive). */
  search?: string;
  /** Only runs carrying every one of these tags. */
  tags?: readonly string[];
}

export interface NewRun {
  flowName: string;
  source: string;
  parameters: Record<string, unknown>;
  parentRunId?: string;
  parentTaskRunId?: string;
  trigger?: RunTrigger;
  /** Defaults to this process. */
  owner?: ProcessIdentity;
  /** The run's first state; Pending unless it is created ahead of time (Scheduled). */
  state?: State;
  /** A subflow run's call identity in its parent (how a resumed parent finds it again). */
  call?: CallIdentity;
  /** Hash of the flow's source when the run was created. */
  sourceHash?: string;
  resumeOnCrash?: boolean;
  /** Its tasks ignore cached results and replace them (RunRequest.refreshCache). */
  refreshCache?: boolean;
  /** The idempotency key it was started with (RunRequest.idempotencyKey). */
  idempotencyKey?: string;
  /** Its tags (runTags.ts), checked. */
  tags?: readonly string[];
  /** The name the flow gives the run (`flowRunName`), numbered when taken; unset: two random words. */
  name?: string;
}

export interface NewRunOptions {
  /** The run's id, chosen ahead; unset: a new random one. */
  id?: string;
  /**
   * Given up (Ctrl-C) while the store waits to write the run (a Postgres table locked by another session):
   * nothing of it is kept, and createRun rejects with the signal's reason. A creation already done stands
   * (it resolves); a store that never waits may not look.
   */
  signal?: AbortSignal;
}

export interface ReadRunOptions {
  /**
   * Given up (Ctrl-C) while the store waits to read the run (a Postgres table locked by another session):
   * readRun rejects with the signal's reason. A store that never waits may not look.
   */
  signal?: AbortSignal;
}

export interface ClaimOptions {
  /**
   * Given up (Ctrl-C) while the store waits to take the claim (a Postgres table locked by another session):
   * claim rejects with the signal's reason and nothing is claimed. A claim already taken stands (true); a
   * store that never waits may not look.
   */
  signal?: AbortSignal;
}

export interface OpenRunOptions {
  /**
   * Opened to take the run up again (a resume): the worker reads its checkpointed results, and its
   * subflows', from their results folders, so a store that keeps them elsewhere (Postgres) copies them
   * there first. Any other open (a crash hook's logs, a note, an end) copies nothing.
   */
  resume?: boolean;
  /**
   * Given up (Ctrl-C) while the store waits to open the run (a Postgres table locked by another session):
   * openRun rejects with the signal's reason, nothing written. A store that never waits may not look.
   */
  signal?: AbortSignal;
}

/** The form of every run's id (randomUUID). */
export const RUN_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A run id chosen ahead (NewRunOptions.id): a UUID, as the stores make them. */
export function checkedNewRunId(id: string): string {
  if (!RUN_UUID.test(id)) throw new Error(`A new run's id is a UUID, got ${JSON.stringify(id.slice(0, 80))}`);
  return id;
}

/** The writer of one run: its journal and its line in the index. Held by the process that runs it. */
export interface RunHandle {
  readonly id: string;
  readonly name: string;
  /** The run's first journal record, as written. */
  readonly created: RunCreatedRecord;
  /** Where the worker writes results too large for the journal (created on first use). */
  readonly resultsDir: string;
  /** Appends records to the run's journal; resolves once they are durable. */
  append(records: readonly RunRecord[]): Promise<void>;
  /** Appends journal lines already serialized (each ending in a newline), as one text or in pieces. */
  appendText(text: JournalText): Promise<void>;
  /**
   * Appends lines only once everything appended before them is written and synced (else rejects, writing
   * nothing): a run's final state. Without it, the host waits for `flush` first.
   */
  appendAfterAll?(text: string): Promise<void>;
  /**
   * Takes up a run created ahead of time (Scheduled, never started): appends `text` (its new state `s` and
   * what to say of it) and records `s` in the index, this process the run's owner from now on — only while
   * the run still waits to start. A run that ended meanwhile (cancelled elsewhere) rejects with
   * EndedBeforeStart and is left as it ended. `flow`: what its loaded flow adds to the run's summary (the
   * RunFlowRecord `text` holds), recorded with the state.
   */
  takeUp(text: string, s: State, extra: { attempt: number; owner: ProcessIdentity; flow?: RunFlowFacts }): Promise<void>;
  /**
   * Names the run `wanted` (numbered when taken: `wanted-2`…), in the journal and the index; resolves with
   * the journal record written. For a run created ahead, once taken up (its flow's `flowRunName`).
   */
  rename(wanted: string, ts: number): Promise<RunNameRecord>;
  /** Records the run's new state in the index, after the journal holds it. */
  setState(s: State, extra?: { startTime?: number; endTime?: number; attempt?: number; owner?: ProcessIdentity }): Promise<void>;
  /**
   * Resolves when everything appended so far is durable. Given up when `signal` fires meanwhile (Ctrl-C
   * while the store waits on a lock, a Postgres table locked by another session): what is not yet written
   * never is, nor is anything after, and it rejects with the signal's reason. A store that never waits may not look.
   */
  flush(signal?: AbortSignal): Promise<void>;
  /** Notes in the index that the run has artifacts of these keys, once the journal holding them is durable. */
  addArtifactKeys(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
  /**
   * Only where appends are written behind the run (Postgres): undefined while what is appended but not yet
   * written is within bounds, else a promise that settles once it is down to half of them. The host stops
   * reading the run's worker till then (Execution.flushPending): what the database cannot take yet waits
   * in the worker, not in the host's memory. A store that writes as it is handed lines has no such method.
   */
  overBacklog?(): Promise<void> | undefined;
}

/** The fewest characters of a run's id that name it (a slip of one or two never picks one), as for schedules. */
export const MIN_RUN_PREFIX = 4;

export interface ResolvedRun {
  run?: FlowRunSummary;
  /** Runs an id prefix matched when it matched more than one. */
  ambiguous?: FlowRunSummary[];
  /** Set when the reference names no run but, shorter than MIN_RUN_PREFIX, starts a run's id. */
  tooShort?: true;
}

export interface RunStore {
  /** Where the store is, for messages: a folder, or a database URL without its password. */
  readonly location: string;
  /** A local folder for compiled flows and spooled results (FLOWDECK_HOME). */
  readonly home: string;
  readonly readOnly: boolean;
  readonly cache: ResultCache;
  readonly kv: KeyValueStore;
  /** Named JSON values flows read and people set (`flowdeck variable`). */
  readonly variables: VariableStore;
  /** Schedules added without editing code, paused schedules, and the claim of each slot. */
  readonly schedules: ScheduleStore;
  /** Concurrency limits by tag, and the slots task runs hold. */
  readonly limits: LimitStore;
  /** Lines of the index that could not be read. */
  readonly skippedIndexRecords: number;
  /** Runs a damaged index had lost, listed again from their journals since the store was opened (the embedded store: lostRuns.ts). */
  readonly relistedRuns?: readonly FlowRunSummary[];
  /** Set by a store several machines share (Postgres): pushed changes, queued runs, remote cancel, workers. */
  readonly shared?: SharedStore;

  /**
   * Of these listed runs, those whose journal is gone (a file deleted by hand, a disk restored in part): the
   * index still lists them, but their parameters, task runs and result are lost. Only a store that keeps
   * journals apart from its index (the embedded store's files) has such runs; a listing marks them.
   */
  missingJournals?(ids: readonly string[]): Promise<Set<string>>;

  /** Picks up what other processes wrote since the last look; returns the ids of runs that changed. */
  refresh(): Promise<string[]>;
  /**
   * Calls `listener` with the ids of runs changed by other processes, whoever's refresh() picked them up,
   * and of runs markCrashed() marked: a look taken for another purpose (a scheduler's) swallows nothing.
   */
  onRunsChanged(listener: RunChangeListener): () => void;
  /** Newest first. */
  list(options?: ListOptions): Promise<FlowRunSummary[]>;
  count(options?: ListOptions): Promise<number>;
  /** Distinct flow names in the history, with how many runs each has. */
  flows(): Promise<{ flowName: string; runs: number; last: FlowRunSummary }[]>;
  /**
   * How many runs `options` keeps (its limit and offset aside), by flow name; flows with none are left out.
   * One question however many flows (the Runs view's filtered groups asked one count per flow).
   */
  flowCounts(options: ListOptions): Promise<Map<string, number>>;
  /** The tags top-level runs carry, with how many carry each: most carried first (then by tag), at most MAX_LISTED_TAGS. */
  tags(): Promise<{ tag: string; runs: number }[]>;
  /** By id, by name, or by an id prefix that only one run has. */
  resolve(ref: string): Promise<ResolvedRun>;
  get(ref: string): Promise<FlowRunSummary | undefined>;
  readRun(id: string, options?: ReadRunOptions): Promise<FlowRunDetail | undefined>;
  /**
   * What `readRun` gives, in bounded memory for a run of any size: the detail without its task runs, then
   * the task runs a batch at a time, in the same order and folded the same way (runTaskStream.ts).
   */
  readRunParts(id: string, options?: RunPartsOptions): Promise<RunParts | undefined>;
  /** Its artifacts without their data, for a reader that prints none of it (WithoutArtifactData, runTaskStream.ts). */
  readRunParts(id: string, options: RunPartsOptions & WithoutArtifactData): Promise<RunParts<ArtifactInfo> | undefined>;
  /**
   * readRunParts of many runs, in the order of `ids` (undefined for a run no longer there), each read as the
   * iteration comes to it. Where every read is a round trip (Postgres), the small journals of many runs are
   * read in a few queries: a query per run and journal pass made `runs --json` of 160,000 runs take minutes.
   * The embedded store opens each journal once, holding a small one for its run's later reads (heldJournal.ts).
   * A store without it has its runs read one by one (eachRunParts.ts).
   */
  readManyRunParts?(ids: readonly string[], options: RunPartsOptions & WithoutArtifactData): AsyncIterable<RunParts<ArtifactInfo> | undefined>;
  /**
   * A run's parameters alone, without folding the rest (runParameters.ts): those it ran with — its creation
   * record's, or for a run made ahead and taken up since (queued, a schedule's) those its flow filled in then.
   */
  parametersOf(id: string): Promise<Record<string, unknown> | undefined>;
  /**
   * Hands the run's log records to `onLogs`, in order, a batch at a time. `tooLarge`: journal lines too big to
   * read (over MAX_LINE_BYTES, jsonLines.ts), left out — log lines or not, nobody can tell — and their bytes.
   */
  readLogs(id: string, onLogs: (logs: LogRecord[]) => void | Promise<void>, options?: { taskRunId?: string }): Promise<{ found: boolean; tooLarge?: { lines: number; bytes: number } }>;
  /**
   * The latest artifact of each key in a run, read from its journal without folding the rest;
   * undefined when the run's journal is gone.
   */
  readArtifacts(id: string): Promise<Artifact[] | undefined>;
  /** The stored text (serializer.ts) of a result stored out of line. */
  readResultText(runId: string, ref: ResultRef): Promise<string>;
  /** The local folder a run's out-of-line results are in (the worker reads and writes them there). */
  resultsDir(runId: string): string;
  /**
   * Removes from a run's local results folder the files no record of the run names: what an attempt whose
   * host died left there, written before its record was. Called only while no attempt writes the folder: a
   * new attempt that took the run over before its worker starts, or its owner once its worker is gone and the
   * next attempt is claimed (no resume begins meanwhile). `ended`: no attempt goes on here; where results
   * are stored elsewhere (Postgres), the local copies go too.
   */
  dropUnrecordedResults(runId: string, ended: boolean): Promise<void>;
  /**
   * Claims `key` for this process, once: true for exactly one caller across every process sharing the
   * store (who resumes a crashed run, who takes a run's next attempt). A claim whose holder died (its
   * process gone; on Postgres its lease lapsed) is taken over by one caller: the holder may have died
   * before doing what it claimed, or after, so a caller that wins checks that it is still to do.
   */
  claim(key: string, options?: ClaimOptions): Promise<boolean>;
  /**
   * Sets the mark `key` for good: true for exactly one caller ever across every process sharing the store.
   * Unlike a claim it is never taken over once its setter died, so it says a thing was done (a notice told),
   * not that someone is doing it. It goes with the run its key names (`<what>:<runId>[:…]`) when that run is
   * deleted — by any process, before or while the mark is set: a mark of a run gone is not set (false).
   */
  markOnce(key: string): Promise<boolean>;
  /** Whether the mark `key` is set (markOnce), without setting it: a thing done, looked at before claiming to do it. */
  isMarked(key: string): Promise<boolean>;
  /**
   * Those of `keys` set (isMarked of each), asked at once: a starting `serve` looks at the notice marks of
   * hundreds of runs (noticeMarks.ts), one query on Postgres where isMarked would be one per key.
   */
  marked(keys: readonly string[]): Promise<Set<string>>;
  /** Gives back this process's claim of `key` (what it claimed could not be done), for another to claim. */
  unclaim(key: string): Promise<void>;
  /**
   * The reason of a cancel asked of the resume holding `key` (a run's attempt: `attemptKey`) while it
   * loaded, before it took the run over (requestCancel); undefined when none was.
   */
  cancelOfClaim(key: string): Promise<string | undefined>;
  /** The run and every subflow below it, parents first. */
  runTree(id: string): Promise<FlowRunSummary[]>;
  /**
   * Creates a run: its journal's first records, then its line in the index. `run` may still be coming (a
   * new run's flow is loading in its worker): what needs none of it (a unique name claimed, the journal
   * opened) is done meanwhile. When it rejects, no trace of the run is left and this rejects with its reason.
   * `options.id`: the run's id, chosen ahead by the caller (a fresh `randomUUID()`; `run --idempotency-key`
   * records it before the run exists); an id the store holds already is refused.
   */
  createRun(run: NewRun | Promise<NewRun>, options?: NewRunOptions): Promise<RunHandle>;
  /** A handle on an existing run, to add to its journal (crash hooks, crash marks, resume). */
  openRun(id: string, options?: OpenRunOptions): Promise<RunHandle>;
  /**
   * Marks unfinished runs whose owning process is gone as Crashed; returns their ids. A run whose journal
   * holds a final state the index never heard of (its host died between the two writes) ended in that
   * state, and is listed so (journalEnd.ts), not Crashed.
   */
  /**
   * Where this process holds a lease on the store (Postgres): calls `listener(ms)` at once and after each
   * heartbeat with how long the lease surely holds, 0 once lost. Until unsubscribed.
   */
  onLeaseHeld?(listener: (ms: number) => void): () => void;
  /**
   * Where run writes go out in batches to a server that may be away (Postgres): calls `listener(true)` when a
   * write is not confirmed in time (the server unreachable), `listener(false)` once they all are; at once with
   * how it is now. Runs start no task run while it waits (runner.ts). Until unsubscribed.
   */
  onWritesWaiting?(listener: (waiting: boolean) => void): () => void;
  markCrashed(): Promise<string[]>;
  /**
   * Asks whichever process runs `runId` to cancel it — this one, another on this machine (embedded: a file
   * it watches, cancelRequests.ts) or another machine (Postgres). A run not started yet on Postgres (waiting
   * for a worker) is cancelled at once; a run whose process is gone is settled Crashed, and `finished`.
   * A run that ended and is being resumed (a live process holds its next attempt's claim, its flow
   * loading) is `requested` too: the request goes to that claim (cancelOfClaim), and the resume cancels
   * the run as soon as it takes it over, before its flow is called.
   */
  requestCancel(runId: string, reason: string): Promise<CancelOutcome>;
  /**
   * Calls `onCancel` for each cancel request (of any process) while subscribed; it returns true when this
   * process runs the run and took the request.
   */
  onCancelRequest(onCancel: (runId: string, reason: string) => boolean): () => void;
  /**
   * Asks whichever process runs the paused run `runId` (pauseFlowRun) to resume it with `input` — this
   * one, another on this machine (embedded: a file it watches, resumeRequests.ts) or another machine
   * (Postgres). The caller checks the input first (pauseInput.ts); the process running the run checks it
   * again and refuses it, logging why, when it does not fit. A run whose process is gone is settled Crashed,
   * and `finished`.
   */
  requestResumePaused(runId: string, input: Record<string, unknown>): Promise<ResumePausedOutcome>;
  /**
   * Calls `onResume` for each resume request (of any process) while subscribed; it returns true when this
   * process runs the run and took the request.
   */
  onResumePausedRequest(onResume: (runId: string, input: Record<string, unknown>) => boolean): () => void;
  /** Whether any run is unfinished (someone may be running it). */
  hasUnfinishedRuns(): boolean;
  /**
   * Whether the process that owns the run `runId` still holds its lease on the store (Postgres, judged by
   * the database's clock as the crash reaper judges it): a host killed a moment ago holds it until it
   * lapses, and its run may not be taken over until then. Stores without leases leave it out: their runs'
   * owners are judged by their process (isAlive).
   */
  ownerHoldsLease?(runId: string): Promise<boolean>;
  /**
   * Deletes finished runs (with their subflows, journals, results, claims and marks); returns the ids deleted.
   * Sweeps, too, a bounded number of notice marks of runs gone before (orphanMarks.ts).
   */
  delete(ids: readonly string[]): Promise<string[]>;
  /**
   * Keeps the newest `limit` finished top-level runs; deletes older ones. A `limit` that is not a whole
   * number ≥ 0 (NaN) is a RangeError, and nothing is deleted (historyRetention.ts checkedKeep).
   */
  prune(limit: number): Promise<string[]>;
  close(): Promise<void>;
}

/** What became of a request to resume a paused run: `requested` (its process was told), or why not. */
export type ResumePausedOutcome = 'requested' | 'not-paused' | 'finished' | 'unknown';

export const CRASHED_HOST_MESSAGE = 'host process ended';
