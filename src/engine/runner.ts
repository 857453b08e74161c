/**
 * The host side of flow runs. For each run it starts a worker process for the user's code, reads the
 * worker's records off its event pipe, keeps them in the store, and ends the run itself when the worker
 * cannot: a timeout the code ignores, a cancel, a crash.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import { readFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BoundedFold } from './boundedFold';
import type { EventSink } from './eventReader';
import { Execution, type RunSeat, REFRESHING_CACHE, type LiveRun } from './execution';
import { checkedFlowFile } from './flowFilePath';
import { fittedRunName } from './givenRunName';
import { journalLines } from './jsonLines';
import { ConcurrencyGate } from './limits/concurrencyGate';
import { HeldOutput } from './heldOutput';
import { flowRunSource } from './logFormat';
import { currentProcess, isAlive } from './processIdentity';
import type { FlowInfo, FlowSource, HostToWorker, LoadRejection, Request, ResumePlan, SlotsReply, WorkerLimits, WorkerMessage } from './protocol';
import { attemptKey, resumeKey, resumePlanFor, type ResumeSummary } from './resumePlan';
import { claimNextAttempt } from './nextAttemptClaim';
import type { ArtifactRecord, FlowRunDetail, FlowRunSummary, LogRecord, PauseInfo, PauseInputRecord, RunRecord, TaskRunRecord } from './records';
import { BadInputError, type RunRequest } from './runRequest';
import { WorkerKilledWhileLoading, killedFromOutside } from './workerKilledWhileLoading';
import { parameterDepthProblem } from './parameters';
import { isToResume } from './crashedToResume';
import { MIN_RUN_PREFIX, type NewRun, type RunHandle, type RunStore } from './runStore';
import { SecretMasker, secretsFromEnv } from './secrets';
import { isSettled, isTerminal, state } from './states';
import { formatDuration } from './durationText';
import { FlowSlotBusy, flowRunSlotHolder, flowRunTag, flowSlotTurn, holdFlowRunSlot, WAITING_FOR_FLOW_SLOT } from './limits/flowRunSlot';
import { mergedTags, tagsField, tagsOf } from './runTags';
import { flowFacts } from './runFlowFacts';
import { StandbyWorker } from './standbyWorker';
import type { WorkerSpawnOptions } from './workerFork';
import { WorkerProcess } from './workerProcess';
import { stateRecord } from './stateRecord';
import { refuseEndedBeforeStart } from './endedBeforeStart';
import { OutOfMemoryWatch } from './outOfMemory';
import { pauseInput } from './pauseInput';
import { endSuspension, expiredSuspension, inputGivenSince, suspensionInput } from './suspensions';
import { workerExitText } from './workerExit';
import { reasonOf } from './storeErrors';
import { limitAdvice } from './systemLimits';
import { SubflowMatch } from './subflowMatch';
import { envNumber, workerLimits } from './workerLimits';
import { DeadlineWatchdog } from './deadlineWatchdog';
import { beginAttempt } from './beginAttempt';
import { neverStartedRefusal } from './schedules/neverStartedSlot';
import { ONLY_SECRETS_GIVEN_AGAIN, secretsNotKeptText } from './secretParameters';

export { BadInputError, type RunRequest } from './runRequest';
export { WorkerKilledWhileLoading } from './workerKilledWhileLoading';

export interface RunnerOptions {
  /** dist/worker.js */
  workerPath: string;
  /** Folder holding the built-in flows' bundles (`<id>.js`). */
  builtinDir: string;
  /** Secrets to mask besides those found in the environment (stored credentials). */
  secrets?: Iterable<string>;
  /** How long a cancelled run's code gets to stop by itself (finally blocks, onCancellation hooks) before its worker is killed. */
  cancelGraceMs?: number;
  /** How long past a timeout code that has not stopped is given before its worker is killed. */
  timeoutGraceMs?: number;
  /** How long a worker that has finished its run gets to exit (the flow's exit handlers) before it is killed. */
  exitGraceMs?: number;
  /** How long a crashed flow's onCrashed hooks may take in their fresh worker. */
  crashHookBudgetMs?: number;
  /**
   * At most this many runs at once (top-level: a run's subflows run in its worker); more wait, in order, for a
   * free slot. A whole number ≥ 1 (else the constructor throws a RangeError: with NaN every run waited for ever).
   */
  maxConcurrentRuns?: number;
  /**
   * Keep every task run of a run in memory and tell 'task' listeners (default true). A host that needs
   * neither (the CLI without --json) sets false: task records then go to the journal as they came,
   * unparsed, and a run's `done` detail lists no task runs (the store has them all). `'bounded'` (the
   * editor): tell 'task' listeners, but hold only what BoundedFold holds — a run's `done` detail lists
   * the first task runs, the failed ones and the unfinished ones its end settled, up to its bounds.
   */
  foldTasks?: boolean | 'bounded';
  /**
   * Refreshed credentials a flow hands back (OAuth tokens); never stored with the run. Only the built-in
   * flow of a service may hand back its credentials: a workspace flow could otherwise overwrite them.
   */
  onCredentials?: (service: string, patch: Record<string, unknown>) => void;
  env?: NodeJS.ProcessEnv;
  /** This host's own concurrency limits by tag (the editor's setting), besides those in the store. */
  concurrencyLimits?: () => Readonly<Record<string, number>>;
  /**
   * Keep a worker forked ahead of time for the next run (a long-lived host: the editor, `flowdeck worker`),
   * so a run skips starting Node and loading the worker; a number keeps that many (a host running as many
   * runs at once). Each run's worker is still its own.
   */
  standby?: boolean | number;
  /** A worker already forked for the first run (the CLI forks one before loading the engine). */
  earlyWorker?: { child: ChildProcess; options: WorkerSpawnOptions };
}

export interface RunnerEvents {
  /** A run was created or changed state. */
  run: [FlowRunSummary];
  task: [string, TaskRunRecord];
  log: [LogRecord];
  /** The store refused a write for a run (a full disk): the run ends Failed saying so. */
  storeError: [string, Error];
  /** A run created an artifact (each update of a progress artifact too, at most a few a second). */
  artifact: [ArtifactRecord];
  /**
   * A run's flow began loading in a new worker (its file imported there), and has loaded: what a start or a
   * resume waits on in between; before and after, it waits on the store (a CLI says which holds it up).
   * flowLoading gives how long the worker may take to start (FLOWDECK_WORKER_START_SECONDS); flowFileRunning
   * comes when it has, just before the file's own code runs: till then nothing the file does holds it up.
   */
  flowLoading: [workerStartSeconds: number];
  flowFileRunning: [];
  flowLoaded: [];
}

export interface ActiveRun {
  readonly id: string;
  readonly name: string;
  readonly flowName: string;
  /** Resolves when the run has reached a final state and its worker has exited (or ran its exit handlers and closed its pipes). */
  readonly done: Promise<FlowRunDetail>;
  /** The flow as its worker loaded it (its retries, resumeOnCrash, timeout). */
  readonly flow?: FlowInfo;
  /**
   * The store's write that failed, once one has: the run was stopped, and `done`'s end state may not be on
   * record — none is when the store refused this host's writes for good (its lease lost: code ELEASE).
   */
  readonly failedToRecord?: Error | undefined;
}

const BUILTIN_ID = /^[a-z0-9-]+$/;

/** Which flow may hand back refreshed credentials of a service (its run's source). */
const CREDENTIAL_OWNERS: Record<string, string> = { youtube: 'builtin:youtube-channel-analytics' };

/** How long after a worker exits its standby replacement is forked. */
const STANDBY_DELAY_MS = 50;
/**
 * How long a worker that said it finished gets to exit before it is killed: its flow's exit handlers run
 * then, and one that never returns would otherwise keep the run's host waiting for ever.
 */
const EXIT_GRACE_MS = 10_000;
/** How long a worker that finished waits to be told its run's end is on record, at most (a stalled disk). */
const EXIT_WAIT_MS = 5_000;

/** How the worker writes a compact task run record: the run id (a UUID, 36 characters) follows. */
const COMPACT_TASK = Buffer.from('{"k":"trun","runId":"', 'latin1');
const RUN_ID_LENGTH = 36;

/** Whether `chunk` holds `bytes` at `at`. */
function bytesAt(chunk: Buffer, at: number, bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (chunk[at + i] !== bytes[i]) return false;
  return true;
}

/** What a launched worker runs: a new run, a run created ahead of time (a schedule's slot), or a new attempt of an existing one. */
type LaunchTarget =
  | { kind: 'new' }
  /**
   * A run created ahead of time (a schedule's slot, or a run queued for a worker), taken up for its first
   * attempt — for a slot, once `until` resolves (the slot is due).
   */
  | {
      kind: 'created';
      detail: FlowRunDetail;
      takenBy?: string;
      sourceHash?: string;
      until?: () => Promise<void>;
      /** Every slot of its flow's concurrencyLimit held: not taken up, but refused with FlowSlotBusy (a queue worker gives it back). */
      refuseIfSlotsBusy?: boolean;
    }
  /**
   * A new attempt of an existing run; `claim`: the key that gives the attempt to one process, claimed as
   * it is taken over (unset for a run this process owns, resumed after its worker died).
   */
  | {
      kind: 'existing';
      detail: FlowRunDetail;
      summary: ResumeSummary;
      prior: Map<string, FlowRunDetail[]>;
      sourceHash?: string;
      why: string;
      claim?: string;
      given?: PauseInputRecord;
      /** Resumed after its worker died: the attempt before holds its flow's concurrency slot (given back when this one ends). */
      slotHeld?: boolean;
    };

function deletedMeanwhile(detail: FlowRunDetail): BadInputError {
  return new BadInputError('taken', `Run '${detail.name}' was deleted while this resume began (\`flowdeck delete\`, a prune, Delete Run): there is nothing to resume`);
}

/**
 * A resume refused as its flow file loads: the file no longer has the run's flow, or refuses the parameters
 * the run ran with (a declaration changed since, a validateParameters rule). Said of the run, not as if the
 * parameters were given now.
 */
function unfitFile(detail: FlowRunDetail, e: unknown): unknown {
  if (!(e instanceof BadInputError) || (e.reason !== 'invalid-parameters' && e.reason !== 'no-flow')) return e;
  const said = `Invalid parameters for flow '${detail.flowName}': `;
  // Its records hold *** for a secret parameter: resumed once it is given again.
  if (e.secretsNotKept !== undefined && e.secretsNotKept.length > 0) {
    const them = e.secretsNotKept.length > 1 ? 'them' : 'it';
    return new BadInputError(e.reason, `Run '${detail.name}' cannot be resumed: its ${secretsNotKeptText(e.secretsNotKept)}. Give ${them} again to the resume, or run the flow again for a new run.`, e.secretsNotKept);
  }
  // A value given again for a parameter that is not secret: the resume's mistake, not the file's.
  if (e.message.includes(ONLY_SECRETS_GIVEN_AGAIN)) return new BadInputError(e.reason, `Run '${detail.name}' was not resumed: ${e.message.startsWith(said) ? e.message.slice(said.length) : e.message}`);
  const why =
    e.reason === 'no-flow'
      ? `its flow '${detail.flowName}' is not in its file now (${e.message})`
      : `the parameters it ran with do not fit flow '${detail.flowName}' as its file has it now (${e.message.startsWith(said) ? e.message.slice(said.length) : e.message})`;
  return new BadInputError(e.reason, `Run '${detail.name}' cannot be resumed: ${why}. Put the flow back as it was to resume the run, or run the file for a new run.`);
}

function resumedMeanwhile(detail: FlowRunDetail): BadInputError {
  return new BadInputError('taken', `Run '${detail.name}' was resumed meanwhile (its attempt ${detail.attempt + 1} was taken by another resume); \`flowdeck runs\` shows how it goes`);
}

/** The content hash of a flow's module, so a resumed run can say when its code changed. */
async function hashFile(path: string): Promise<string | undefined> {
  try {
    return createHash('sha256').update(await readFile(path)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * How long a worker may take, from its load sent, to say its flow file's code runs: Node's start, its
 * preloads, the module hooks' registration. Seconds at most on a busy machine; a worker past it is held
 * (a preload that never returns, Node's loader thread that could not start) and nothing would end it.
 */
const WORKER_START_SECONDS = 60;

/** What a run's worker said of its flow once loaded. */
interface LoadedFlow {
  info: FlowInfo;
  parameters: Record<string, unknown>;
  /** The name its flowRunName gave the run. */
  runName?: string;
}

export class FlowRunner extends EventEmitter<RunnerEvents> {
  private readonly masker: SecretMasker;
  private readonly executions = new Map<string, Execution>();
  /** Following the store's cancel requests (RunStore.onCancelRequest), while runs run here. */
  private offCancelRequests?: () => void;
  /** Following the host's lease (a Postgres store): when it surely holds till, passed on to the runs' workers. */
  private offLease?: () => void;
  private leaseUntil?: number;
  /** Following whether the store confirms the runs' writes (a Postgres store): passed on to the runs' workers. */
  private offStoreWait?: () => void;
  private storeWaiting = false;
  /** Following the store's requests to resume paused runs (RunStore.onResumePausedRequest), while runs run here. */
  private offResumeRequests?: () => void;
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  /** Runs that gave up their run slot to wait for their flow's (each keeps its worker): at most maxConcurrentRuns. */
  private seatless = 0;
  private readonly limits: WorkerLimits;
  /** How long a run's worker may take to say its flow file's code runs (FLOWDECK_WORKER_START_SECONDS). */
  private readonly workerStartMs: number;
  /** Kills a worker whose code is past its timeout and will not stop. */
  private readonly deadlines: DeadlineWatchdog;
  private readonly gate: ConcurrencyGate;
  /** Flows' own concurrency limits (flowRunSlot.ts): their own line, kept across a run's attempts. */
  private readonly flowSlots: ConcurrencyGate;
  private readonly standby: StandbyWorker;
  /** How a subflow call finds its run: an earlier attempt's, or a new one. */
  private readonly subflows: SubflowMatch;
  /** Whether the next standby readies Node's module hooks: as the last run's flow needed (the first guess: yes). */
  private standbyHooks = true;

  constructor(
    readonly store: RunStore,
    private readonly options: RunnerOptions,
  ) {
    super();
    const max = options.maxConcurrentRuns;
    if (max !== undefined && !(Number.isSafeInteger(max) && max >= 1)) throw new RangeError(`maxConcurrentRuns must be a whole number ≥ 1, not ${String(max)}.`);
    this.masker = new SecretMasker([...secretsFromEnv(options.env ?? process.env), ...(options.secrets ?? [])]);
    this.limits = workerLimits(options.env ?? process.env, options);
    this.workerStartMs = envNumber(options.env ?? process.env, 'FLOWDECK_WORKER_START_SECONDS', WORKER_START_SECONDS, 'seconds') * 1000;
    this.deadlines = new DeadlineWatchdog(() => new Set(this.executions.values()), this.limits.timeoutGraceMs);
    this.gate = new ConcurrencyGate(store.limits, options.concurrencyLimits ? { ownLimits: options.concurrencyLimits } : {});
    this.flowSlots = new ConcurrencyGate(store.limits);
    this.subflows = new SubflowMatch(store, this.masker);
    this.standby = new StandbyWorker(options.earlyWorker, typeof options.standby === 'number' ? Math.max(1, Math.floor(options.standby)) : 1);
  }

  /**
   * Forks the standby workers now (with `standby` on), for runs with this request's environment and folder,
   * so even the first runs are warm. Later standbys follow the last run's.
   */
  prepareStandby(request: Pick<RunRequest, 'env' | 'cwd'> = {}): void {
    if (this.options.standby) this.standby.prepare(this.spawnOptions(request), 0, this.standbyHooks);
  }

  /** Masks a value from now on, in everything this runner stores or emits. */
  addSecret(value: string): void {
    this.masker.add(value);
  }

  active(): ActiveRun[] {
    // Subflow runs map to their root's execution too: list each execution once.
    return [...new Set(this.executions.values())];
  }

  /** A run of this runner as it is folded while it goes (with foldTasks 'bounded'); undefined once it has ended. */
  liveFold(runId: string): BoundedFold | undefined {
    return this.executions.get(runId)?.runs.get(runId)?.bounded;
  }

  /** What a paused run of this process waits for (pauseFlowRun), as folded; undefined when it is not paused here. */
  pauseOf(runId: string): PauseInfo | undefined {
    const s = this.executions.get(runId)?.runs.get(runId)?.fold.detail.state;
    // A suspended run waits nowhere: a resume runs it again (resume with its input).
    return s?.name === 'Paused' ? s.pause : undefined;
  }

  /** Whether `runId` (a run or subflow run) runs in this process now. */
  runsHere(runId: string): boolean {
    return this.executions.has(runId);
  }

  /** The built-in flow ids available to run. */
  builtinIds(): string[] {
    try {
      return readdirSync(this.options.builtinDir)
        .filter((f) => f.endsWith('.js'))
        .map((f) => f.slice(0, -3))
        .sort();
    } catch {
      return [];
    }
  }

  private resolveModule(source: FlowSource): string {
    if (source.kind === 'builtin') {
      const file = join(this.options.builtinDir, `${source.id}.js`);
      if (!BUILTIN_ID.test(source.id) || !existsSync(file)) {
        throw new BadInputError('unknown-builtin', `No built-in flow '${source.id}'. Built-in flows: ${this.builtinIds().join(', ') || '(none found)'}`);
      }
      return file;
    }
    return checkedFlowFile(source.path);
  }

  /**
   * Takes a run slot (maxConcurrentRuns), first telling `onWait` how many runs hold them when it must wait.
   * False when `signal` fired while it waited (no slot taken).
   */
  private async slot(onWait?: (running: number) => void, signal?: AbortSignal): Promise<boolean> {
    const max = this.options.maxConcurrentRuns ?? Infinity;
    if (this.running < max) {
      this.running++;
      return true;
    }
    if (signal?.aborted) return false;
    onWait?.(this.running);
    const got = await new Promise<boolean>((resolve) => {
      const turn = (): void => {
        signal?.removeEventListener('abort', stopped);
        resolve(true);
      };
      const stopped = (): void => {
        this.waiting.splice(this.waiting.indexOf(turn) >>> 0, 1);
        resolve(false);
      };
      signal?.addEventListener('abort', stopped, { once: true });
      this.waiting.push(turn);
    });
    if (got) this.running++;
    return got;
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }

  /** A run gives up its run slot: it ended, or waits for a slot of its flow (holding none of the host's meanwhile). */
  private leaveSeat(seat: RunSeat | undefined): void {
    if (!seat?.held) return;
    seat.held = false;
    this.release();
  }

  /**
   * Loads the flow in a fresh worker, validates the parameters there, then creates the run and starts
   * it. Throws BadInputError (and creates no run) when the file, flow or parameters are wrong.
   *
   * With `runId`, starts that run instead of creating one: a run created ahead of time in state
   * Scheduled (a schedule's slot), with its parameters; it stays Scheduled when this throws. With
   * `until` too, the flow is loaded now and the run starts once `until` resolves (its slot is due); when
   * it rejects, the worker goes and start rejects with its error. `onSlotWait`: told, with how many runs go,
   * when every run slot (maxConcurrentRuns) is taken and the run waits for one before anything of it starts.
   */
  async start(request: RunRequest, options: { signal?: AbortSignal; runId?: string; until?: () => Promise<void>; onSlotWait?: (running: number) => void } = {}): Promise<ActiveRun> {
    const modulePath = this.resolveModule(request.source);
    const scheduled = options.runId === undefined ? undefined : await this.scheduledRun(options.runId);
    const launched = scheduled ? { ...request, parameters: scheduled.parameters } : request;
    return this.withSlot(options.signal, options.onSlotWait, async (seat) => {
      if (!scheduled) return this.launch(launched, modulePath, options.signal, { kind: 'new' }, seat);
      const sourceHash = await hashFile(modulePath);
      return this.launch(launched, modulePath, options.signal, { kind: 'created', detail: scheduled, sourceHash, ...(options.until ? { until: options.until } : {}) }, seat);
    });
  }

  /** A run created ahead of time that has not started: what `start` with a `runId` takes up. */
  private async scheduledRun(id: string): Promise<FlowRunDetail> {
    const detail = await this.store.readRun(id);
    if (!detail || detail.missingJournal) throw new Error(`No scheduled run ${id} in ${this.store.location}`);
    // Cancelled (elsewhere) before it was taken up: it stays as it ended.
    if (!detail.parentRunId) refuseEndedBeforeStart(detail);
    if (detail.state.name !== 'Scheduled' || detail.startTime !== undefined || detail.parentRunId) {
      throw new Error(`Run '${detail.name}' is ${detail.state.name}, not a run waiting in state Scheduled; it cannot be started again`);
    }
    return detail;
  }

  private async withSlot(signal: AbortSignal | undefined, onWait: ((running: number) => void) | undefined, launch: (seat: RunSeat) => Promise<Execution>): Promise<ActiveRun> {
    // Given up while it waits for a run slot (`signal`): it never takes one.
    if (!(await this.slot(onWait, signal))) signal!.throwIfAborted();
    const seat: RunSeat = { held: true };
    const leave = (): void => this.leaveSeat(seat);
    let execution: Execution;
    try {
      signal?.throwIfAborted();
      execution = await launch(seat);
    } catch (e) {
      leave();
      throw e;
    }
    void execution.done.finally(leave);
    return execution;
  }

  /**
   * Resumes a run that did not complete (Failed, Crashed, Cancelled, TimedOut): the same run, a new
   * attempt. Completed calls of earlier attempts are returned from their checkpoints instead of running
   * again; subflows resume the same way. Throws BadInputError when the run cannot be resumed.
   */
  async resume(ref: string, options: { signal?: AbortSignal; env?: Record<string, string>; cwd?: string; source?: FlowSource; input?: Record<string, unknown>; secretParameters?: Record<string, string> } = {}): Promise<ActiveRun> {
    const { run, ambiguous, tooShort } = await this.store.resolve(ref);
    if (ambiguous) throw new BadInputError('not-resumable', `'${ref}' matches ${ambiguous.length} runs; give more of the id`);
    if (tooShort) throw new BadInputError('not-resumable', `'${ref}' is too short to name a run: give at least ${MIN_RUN_PREFIX} characters of its id (\`flowdeck runs\` lists them)`);
    if (!run) throw new BadInputError('not-resumable', `No run with id, id prefix or name '${ref}' in ${this.store.location}`);
    if (run.parentRunId) {
      const root = (await this.store.get(run.parentRunId))?.name ?? run.parentRunId;
      throw new BadInputError('not-resumable', `Run '${run.name}' is a subflow run; resume its parent run '${root}', which resumes it too`);
    }
    if (run.state.type === 'COMPLETED') throw new BadInputError('not-resumable', `Run '${run.name}' completed; there is nothing to resume. Rerun it for a new run from the start.`);
    const neverStarted = neverStartedRefusal(run);
    if (neverStarted) throw new BadInputError('not-resumable', `Run '${run.name}' ${neverStarted}`);
    if (!isSettled(run.state) && isAlive(run.owner)) {
      throw new BadInputError('taken', `Run '${run.name}' is ${run.state.name} in another process (pid ${run.owner.pid}); cancel it there first, or wait for it to end`);
    }
    // On Postgres a host is dead once its lease lapses, not when its process is gone from here: until then
    // its run is its own, and a take-over would be refused half-way (after the flow loaded).
    if (!isSettled(run.state) && (await this.store.ownerHoldsLease?.(run.id))) {
      throw new BadInputError(
        'taken',
        `Run '${run.name}' is ${run.state.name}, and its host ${run.owner.hostname} (pid ${run.owner.pid}) still holds its lease on the store: cancel it there first, or wait for it to end (a host that died is found once its lease lapses, and its run ends Crashed: resume it then)`,
      );
    }
    const detail = await this.store.readRun(run.id, options.signal ? { signal: options.signal } : {});
    if (!detail || detail.missingJournal) throw new BadInputError('not-resumable', `Run '${run.name}' cannot be resumed: its journal is missing from ${this.store.location}`);
    // Its journal is written before the index: one read of each may show it as it ended (the index) and taken
    // over by another resume (the journal: a later attempt going). That resume holds its attempt's claim while
    // it lives; the run is left to it.
    if (!isSettled(detail.state)) {
      const going = attemptKey(detail.id, detail.attempt);
      if (!(await this.store.claim(going, options.signal ? { signal: options.signal } : {}))) throw new BadInputError('taken', `Run '${detail.name}' was resumed meanwhile (its attempt ${detail.attempt} is taken by another resume, which runs it now); \`flowdeck runs\` shows how it goes`);
      // Its holder had died (or none held it): the claim is nobody's again.
      await this.store.unclaim(going);
    }
    // A worker on another machine runs its own copy of the flow file (`source`); here, the file the run names.
    const source: FlowSource = options.source ?? (detail.source.startsWith('builtin:') ? { kind: 'builtin', id: detail.source.slice('builtin:'.length) } : { kind: 'file', path: detail.source });
    const request: RunRequest = {
      source,
      flowName: detail.flowName,
      parameters: detail.parameters,
      // Its records hold *** in their place.
      ...(options.secretParameters ? { secretParameters: options.secretParameters } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    };
    // The file the run ran is gone (moved, renamed, deleted): say which run needs it, and what to do.
    if (source.kind === 'file' && !existsSync(resolve(source.path))) {
      throw new BadInputError('missing-file', `Run '${run.name}' cannot be resumed: its flow file ${resolve(source.path)} is not there any more (moved or deleted?). Put it back to resume the run, or run the flow's file where it is now for a new run.`);
    }
    const modulePath = this.resolveModule(source);
    const summary = resumePlanFor(detail, detail.attempt + 1);
    const given = this.suspensionInput(detail, options.input, summary);
    const prior = await this.subflows.prior(detail.id);
    // The new attempt is this process's only if no other took it since the run was read (a second
    // `flowdeck resume`, the editor's Resume, a worker). Claimed before the flow loads: a second resume is
    // refused, and a cancel meanwhile finds the run being resumed (RunStore.requestCancel). A claim held
    // for a moment by what is no resume (the end of its last attempt tidying up) is waited for.
    const claim = attemptKey(detail.id, detail.attempt + 1);
    if (!(await claimNextAttempt(this.store, detail, options.signal))) throw resumedMeanwhile(detail);
    try {
      // A claim taken over from a resume that died may come after that resume took the run over: the
      // run is read again, and left to that attempt (Crashed by now, or soon) if it moved on.
      await this.store.refresh();
      const now = await this.store.get(detail.id);
      // A delete claims the run's next attempt too: the run gone after this claim was deleted before it.
      if (!now) throw deletedMeanwhile(detail);
      // (A journal ahead of the index — a resume that died between the two writes — is not moving on.)
      if (now.attempt > detail.attempt) throw resumedMeanwhile(detail);
      // A suspended run cancelled, or ended by its time running out, since it was read: it stays so.
      if (detail.state.name === 'Suspended' && now.state.name !== 'Suspended') throw new BadInputError('not-resumable', `Run '${detail.name}' is ${now.state.name} now (${now.state.message ?? 'no reason given'}): it ended while this resume began`);
      // A suspension resumed too late ends as one nobody resumed: Failed.
      const expired = inputGivenSince(detail) === undefined ? expiredSuspension(detail, Date.now()) : undefined;
      if (expired) {
        await endSuspension(this.store, detail, expired);
        throw new BadInputError('not-resumable', `Run '${detail.name}' was suspended until ${new Date(detail.state.pause!.until).toISOString()} and not resumed in time, so it ended Failed. Resume it again to run it from its checkpoints: it is suspended anew, with a new deadline.`);
      }
      return await this.withSlot(options.signal, undefined, async (seat) =>
        this.launch(request, modulePath, options.signal, { kind: 'existing', detail, summary, prior, sourceHash: await hashFile(modulePath), why: 'Resuming', claim, ...(given ? { given } : {}) }, seat),
      );
    } catch (e) {
      // Not taken over (the flow would not load, Ctrl-C while it did): the attempt is given back.
      await this.store.unclaim(claim).catch(() => undefined);
      throw unfitFile(detail, e);
    }
  }

  /**
   * The journal record of `input` for suspended `run`, checked and masked as this runner masks: for a resume
   * on the run's queue (SharedStore.resumeQueued). Throws BadInputError when the input does not fit.
   */
  suspensionRecord(run: FlowRunSummary, input: Record<string, unknown>): PauseInputRecord | undefined {
    const checked = suspensionInput(run, input, this.masker);
    if ('problem' in checked) throw new BadInputError('invalid-input', checked.problem);
    return checked.record;
  }

  /**
   * The input that resumes a Suspended run (suspendFlowRun), checked against what it waits for (defaults
   * filled in): handed to the new attempt's suspension, and its record (masked) for the journal, where later
   * attempts find it too. Given while it waited for a worker (SharedStore.resumeQueued), it is on record
   * already. Any other run takes no input. Throws BadInputError saying what does not fit.
   */
  private suspensionInput(detail: FlowRunDetail, input: Record<string, unknown> | undefined, summary: ResumeSummary): PauseInputRecord | undefined {
    const s = detail.state;
    if (s.name !== 'Suspended') {
      if (input !== undefined) throw new BadInputError('invalid-input', `Run '${detail.name}' is ${s.name}, not Suspended or Paused: it takes no input`);
      return undefined;
    }
    const recorded = input === undefined ? inputGivenSince(detail) : undefined;
    const checked = suspensionInput(detail, input ?? recorded ?? {}, this.masker);
    if ('problem' in checked) throw new BadInputError('invalid-input', checked.problem);
    if (!checked.record) return undefined;
    summary.plan.inputs = { ...summary.plan.inputs, [checked.record.key]: { value: checked.input, attempt: summary.plan.attempt, ts: checked.record.ts } };
    return recorded === undefined ? checked.record : undefined;
  }

  /**
   * Runs a run that was created ahead of time (queued for workers, in state Scheduled) as its first
   * attempt, from `request.source` (this machine's copy of its flow). Throws BadInputError when the flow
   * cannot be loaded or refuses the run's parameters; the run is then left as it was, for the caller to end.
   */
  async startCreated(runId: string, request: RunRequest, options: { signal?: AbortSignal; takenBy: string; refuseIfSlotsBusy?: boolean }): Promise<ActiveRun> {
    const detail = await this.store.readRun(runId);
    // Cancelled (elsewhere) before it was taken up: it stays as it ended.
    if (detail) refuseEndedBeforeStart(detail);
    if (!detail || detail.state.type !== 'SCHEDULED') throw new BadInputError('not-resumable', `Run ${runId} is not waiting to start (it is ${detail?.state.name ?? 'not in the store'})`);
    const modulePath = this.resolveModule(request.source);
    // The flow it was created for: a file may hold several.
    const created: RunRequest = { ...request, flowName: request.flowName ?? detail.flowName, parameters: detail.parameters };
    return this.withSlot(options.signal, undefined, async (seat) =>
      this.launch(created, modulePath, options.signal, { kind: 'created', detail, takenBy: options.takenBy, ...(options.refuseIfSlotsBusy ? { refuseIfSlotsBusy: true } : {}) }, seat),
    );
  }

  /**
   * Resumes, once across every process sharing the store, each run of a flow with `resumeOnCrash` that
   * ended Crashed because its host died. Returns the runs this process took up.
   */
  async resumeCrashed(options: { env?: Record<string, string>; cwd?: string; accept?: (run: FlowRunSummary) => boolean } = {}): Promise<ActiveRun[]> {
    const crashed = (await this.store.list({ rootsOnly: true, stateTypes: ['CRASHED'] })).filter((r) => isToResume(r) && (options.accept?.(r) ?? true));
    const started: ActiveRun[] = [];
    for (const r of crashed) {
      if (!(await this.store.claim(resumeKey(r.id, r.attempt + 1)))) continue;
      try {
        started.push(await this.resume(r.id, { ...(options.env ? { env: options.env } : {}), ...(options.cwd ? { cwd: options.cwd } : {}) }));
      } catch (e) {
        this.emit('storeError', r.id, e as Error);
      }
    }
    return started;
  }

  /** A worker for `request`, told to load `modulePath` before anything else is set up (its load is the longest step). */
  private spawn(request: RunRequest, modulePath: string, events: EventSink, onOutput: (stream: 'stdout' | 'stderr', line: string) => void): WorkerProcess {
    // Values of the extra environment that are secrets by their name (a token from the editor's sign-in);
    // settings passed the same way (an API URL) stay readable.
    for (const value of secretsFromEnv(request.env ?? {})) this.masker.add(value);
    // Secret parameters given again: this host prints nothing of them either (a refusal, a log line).
    for (const value of Object.values(request.secretParameters ?? {})) this.masker.add(value);
    const options = this.spawnOptions(request);
    const worker = new WorkerProcess(options, this.loadMessage(request, modulePath), events, onOutput, this.standby.take(options));
    // The next run's worker starts once this one is done, while the host has nothing else to do.
    if (this.options.standby) void worker.exited.then(() => this.standby.prepare(options, STANDBY_DELAY_MS, this.standbyHooks));
    return worker;
  }

  /** The pid of the worker forked for the next run (`standby`), if one is waiting. */
  standbyPid(): number | undefined {
    return this.standby.pid;
  }

  /** The pids of the workers forked for the next runs (`standby`), the next first. */
  standbyPids(): number[] {
    return this.standby.pids;
  }

  private spawnOptions(request: Pick<RunRequest, 'env' | 'cwd'>): WorkerSpawnOptions {
    return { workerPath: this.options.workerPath, cwd: request.cwd, env: { ...(this.options.env ?? process.env), ...request.env, FLOWDECK_HOME: this.store.home } };
  }

  private loadMessage(request: RunRequest, modulePath: string): HostToWorker {
    return {
      t: 'load',
      source: request.source,
      modulePath,
      ...(request.flowName !== undefined ? { flowName: request.flowName } : {}),
      parameters: request.parameters ?? {},
      ...(request.parameterText !== undefined ? { parameterText: request.parameterText } : {}),
      ...(request.secretParameters !== undefined ? { secretParameters: request.secretParameters } : {}),
      home: this.store.home,
      secrets: this.masker.values(),
      limits: this.limits,
    };
  }

  private launch(given: RunRequest, modulePath: string, signal: AbortSignal | undefined, target: LaunchTarget, seat?: RunSeat): Promise<Execution> {
    // A run created refreshing the cache refreshes it in each of its attempts (a resume, a worker taking it up).
    const request = target.kind !== 'new' && target.detail.refreshCache && !given.refreshCache ? { ...given, refreshCache: true } : given;
    // Before anything copies or serializes them (recursively): a value nested thousands deep would overflow the stack.
    const deep = target.kind === 'new' ? parameterDepthProblem(request.parameters) : undefined;
    if (deep !== undefined) return Promise.reject(new BadInputError('invalid-parameters', this.masker.mask(`Invalid parameters: ${deep}`)));
    return new Promise<Execution>((resolveStart, rejectStart) => {
      let started = false;
      /** Till the worker says its flow file's code runs (or ends): past it, the worker is held and goes. */
      let startBound: NodeJS.Timeout | undefined;
      /** The worker said its flow file's code runs: a death before that is none of the file's doing. */
      let fileRan = false;
      let stderrTail = '';
      /** What the worker printed before its run exists (the flow file's top level as it loads): for the run's log, or the load's error. */
      const held = new HeldOutput();
      /** The worker refused the load: said once it is gone and its output read, with what it printed. */
      let rejection: { reason: LoadRejection; message: string; secretsNotKept?: string[] } | undefined;
      const memory = new OutOfMemoryWatch();
      let execution: Execution | undefined;
      let creating: Promise<RunHandle> | undefined;
      /** A new run's details, once its worker has loaded the flow (the run is created meanwhile). */
      let loaded: { resolve(flow: LoadedFlow): void; reject(e: unknown): void } | undefined;
      /** Gives up before the run starts: no run is created (what its creation began is undone); `kill`: the worker goes too. */
      const giveUp = (e: unknown, kill: boolean): void => {
        clearTimeout(startBound);
        if (started) return;
        started = true;
        loaded?.reject(e);
        if (kill) execution?.worker.killGroup();
        // What the run's creation began is undone before the caller hears (a CLI may exit at once).
        void (creating ?? Promise.resolve()).catch(() => undefined).then(() => rejectStart(e));
      };
      // Given up while the flow loads (Ctrl-C): no run is created, the loading worker goes.
      signal?.addEventListener('abort', () => giveUp(signal.reason, true), { once: true });
      const foldTasks = this.options.foldTasks !== false;
      // The run the last compact line went to (and its id's bytes): a map's lines all name the same run, compared in place.
      let lastCompact: LiveRun | undefined;
      let lastCompactId: Buffer | undefined;
      /**
       * The hot path of a big map: a whole task run in one line, kept as the bytes it came as (the worker
       * masked it). Where task runs are shown (the editor) it is folded too, from the same bytes: no text is
       * made again for the journal.
       */
      const raw = (chunk: Buffer, start: number, end: number): boolean => {
        const idAt = start + COMPACT_TASK.length;
        if (!execution || end - idAt < RUN_ID_LENGTH + 2 || chunk[idAt + RUN_ID_LENGTH] !== 0x22 || !bytesAt(chunk, start, COMPACT_TASK)) return false;
        if (lastCompact === undefined || !bytesAt(chunk, idAt, lastCompactId!)) {
          const id = chunk.toString('latin1', idAt, idAt + RUN_ID_LENGTH);
          lastCompact = execution.runs.get(id);
          if (lastCompact === undefined) return false;
          lastCompactId = Buffer.from(id, 'latin1');
        }
        if (!foldTasks) {
          lastCompact.pending.addBytes(chunk, start, end);
          return true;
        }
        let record: RunRecord;
        try {
          record = JSON.parse(chunk.toString('utf8', start, end - 1)) as RunRecord;
        } catch {
          return false; // Not a line the host takes: dropped as any unreadable line is.
        }
        execution.workerRecord(lastCompact, record, { chunk, start, end });
        return true;
      };
      const onLine = (line: string): void => {
        let message: WorkerMessage;
        try {
          message = JSON.parse(line) as WorkerMessage;
        } catch {
          return;
        }
        if (message.k === 'ready') {
          clearTimeout(startBound);
          if (started || !execution) return;
          if (typeof message.runNameError === 'string' && target.kind !== 'existing') {
            giveUp(new BadInputError('invalid-parameters', this.masker.mask(message.runNameError)), true);
            return;
          }
          started = true;
          this.emit('flowLoaded');
          this.standbyHooks = message.moduleHooks === true;
          execution.flow = message.flow;
          // What the flow's flowRunName gave (the worker masked it; so does the host, which knows more secrets).
          const runName = typeof message.runName === 'string' ? fittedRunName(this.masker.mask(message.runName)) : undefined;
          loaded?.resolve({ info: message.flow, parameters: message.parameters, ...(runName !== undefined ? { runName } : {}) });
          // A queue worker's run whose flow's slots are all held is not taken up: it goes back to its queue.
          const slotAhead = target.kind === 'created' && target.refuseIfSlotsBusy === true && execution.flow?.concurrencyLimit !== undefined;
          const begin = (async () => {
            if (slotAhead) await this.flowSlotOrRefuse(execution!, target.detail);
            try {
              return await (target.kind === 'new' ? this.createRoot(execution!, creating!) : target.kind === 'created' ? this.takeCreated(execution!, target, runName, message.parameters) : this.adoptRoot(execution!, target, signal));
            } catch (e) {
              if (slotAhead) await this.releaseFlowSlot(target.detail.id, target.detail.flowName, execution!.flow!.concurrencyLimit!);
              throw e;
            }
          })();
          void begin.then(
            (resume) => {
              logHeld();
              const go = (): void => {
                this.deadlines.armFlow(execution!);
                execution!.worker.send({ t: 'start', runId: execution!.id, runName: execution!.name, resultsDir: execution!.root.handle.resultsDir, ...(resume ? { resume } : {}) });
              };
              if (slotAhead) {
                execution!.holdsFlowSlot = true;
                void execution!.done.finally(() => this.releaseFlowSlot(target.detail.id, target.detail.flowName, execution!.flow!.concurrencyLimit!));
              }
              if (execution!.flow?.concurrencyLimit === undefined || slotAhead || (target.kind === 'existing' && target.slotHeld)) {
                // Handed on from the attempt before (its worker died): so is it to the next one, should this one's die too.
                if (target.kind === 'existing' && target.slotHeld) execution!.holdsFlowSlot = true;
                go();
                resolveStart(execution!);
                return;
              }
              // The run is there to follow (and cancel) while it waits for a slot of its flow.
              resolveStart(execution!);
              void this.flowSlot(execution!).then((held) => (held ? go() : undefined));
            },
            (e: unknown) => {
              execution!.worker.killGroup();
              if (signal?.aborted) {
                // Given up (Ctrl-C) before its attempt was on record: the run is as the store holds it, and
                // the worker's end ends nothing here (no state of an attempt that never began is shown or written).
                this.untrack(execution!);
                for (const live of execution!.runs.values()) void live.handle.close().catch(() => undefined);
                execution!.runs.clear();
              }
              rejectStart(e);
            },
          );
          return;
        }
        if (message.k === 'loading') {
          clearTimeout(startBound);
          fileRan = true;
          this.emit('flowFileRunning');
          return;
        }
        if (message.k === 'rejected') {
          // Said when the worker has exited (it does at once) and its pipes are read: what it printed goes with it.
          rejection = { reason: message.reason, message: message.message, ...(message.secretsNotKept ? { secretsNotKept: message.secretsNotKept } : {}) };
          return;
        }
        if (execution) this.onMessage(execution, message, line);
      };
      this.emit('flowLoading', this.workerStartMs / 1000);
      const where = request.source.kind === 'file' ? request.source.path : `built-in flow '${request.source.id}'`;
      const notStarted = target.kind === 'new' ? 'No run was created; run it again.' : 'Its run was not started; start it again.';
      // A worker held before its flow file's code runs says nothing and may never end: it is not waited for past the bound.
      startBound = setTimeout(() => {
        const seconds = this.workerStartMs / 1000;
        giveUp(
          new WorkerKilledWhileLoading(
            `Loading ${where} did not begin: its worker process did not start within ${seconds} s and was killed. Something held it before the file's code ran: a preload in NODE_OPTIONS (--require, --import, --inspect-brk waiting for a debugger), or too few file descriptors left for Node's module loader thread (raise the limit: \`ulimit -n\`). Set FLOWDECK_WORKER_START_SECONDS to give it longer. ${notStarted}${held.said()}`,
          ),
          true,
        );
      }, this.workerStartMs);
      startBound.unref();
      const worker = this.spawn(request, modulePath, { raw, line: onLine, read: () => execution?.flushPending() }, (stream, line) => {
        if (stream === 'stderr') {
          stderrTail = (stderrTail + line + '\n').slice(-2000);
          memory.line(line);
        }
        if (execution && started && execution.runs.size > 0) {
          logHeld();
          execution.log(execution.root, stream === 'stdout' ? 'INFO' : 'WARNING', flowRunSource(execution.name), this.masker.mask(line));
          execution.flushPending();
        } else {
          held.add(stream, this.masker.mask(line));
        }
      });
      /** The lines printed before the run existed, as its first ones (with their times), once it does. */
      const logHeld = (): void => {
        if (held.empty || !execution || execution.runs.size === 0) return;
        const { lines, leftOut } = held.take();
        const source = flowRunSource(execution.name);
        for (const l of lines) execution.log(execution.root, l.stream === 'stdout' ? 'INFO' : 'WARNING', source, l.line, l.ts);
        if (leftOut !== undefined) execution.log(execution.root, 'WARNING', source, leftOut);
        execution.flushPending();
      };
      execution = new Execution(worker, request, modulePath, this.store, {
        run: (s) => this.onRunEvent(execution!, s),
        task: (runId, t) => this.emit('task', runId, t),
        log: (l) => this.emit('log', l),
        storeError: (runId, e) => this.emit('storeError', runId, e),
        artifact: (record) => this.emit('artifact', record),
      }, { bounded: this.options.foldTasks === 'bounded' });
      if (seat) execution.seat = seat;
      execution.memory = memory;
      if (target.kind === 'new') {
        // The run is created while its flow loads: its name claimed and its journal opened now, its records
        // written once the worker says what the flow is (the host hashes the file meanwhile).
        const hashing = hashFile(modulePath);
        const flow = new Promise<LoadedFlow>((resolve, reject) => (loaded = { resolve, reject }));
        // Given up once the flow has loaded (Ctrl-C), the creation is (the store may be waiting on a lock).
        creating = this.store.createRun(flow.then(async (f) => this.newRun(request, f, await hashing)), { ...(request.runId !== undefined ? { id: request.runId } : {}), ...(signal ? { signal } : {}) });
        // A creation that fails while the flow loads ends the start at once, and the loading worker with it.
        creating.catch((e: unknown) => giveUp(e, true));
      }
      void worker.exited.then(async (how) => {
        clearTimeout(startBound);
        const rejected = rejection;
        if (!started && rejected !== undefined) {
          // The system refused the load what it needed (its compiler's process, a file): not bad input.
          if (rejected.reason === 'system-limit') giveUp(new WorkerKilledWhileLoading(`${this.masker.mask(rejected.message)}. ${notStarted}${held.said()}`), false);
          else giveUp(new BadInputError(rejected.reason, this.masker.mask(rejected.message) + held.said(), rejected.secretsNotKept), false);
          return;
        }
        if (!started && worker.spawnError !== undefined) {
          // The system refused to start the process (too many open files, too many processes): nothing ran.
          const e = worker.spawnError;
          giveUp(new WorkerKilledWhileLoading(`Could not start a worker process to load ${where}: ${reasonOf(e.code)}${e.code ? ` (${e.code})` : ''}${limitAdvice(e.code)}. ${notStarted}`), false);
          return;
        }
        if (!started) {
          // Out of memory, its stderr's tail is Node's native stack: what it died of says more.
          const died = memory.diedOf(how);
          const exit = workerExitText(how, !stderrTail && died === undefined);
          const said = died !== undefined ? ` after ${died}` : stderrTail ? `: ${this.masker.mask(stderrTail.trim())}` : '';
          // The flow file's doing as it was imported (process.exit, a kill, its memory): said as a load failure.
          // Killed by another process (or the OOM killer) as it loaded: nothing the file did, so not bad input.
          if (died === undefined && killedFromOutside(how)) {
            giveUp(new WorkerKilledWhileLoading(`Loading ${where} did not finish: its worker process was killed while loading (${workerExitText(how)}). ${notStarted}${held.said('stdout')}`), false);
            return;
          }
          if (!fileRan && died === undefined) {
            // Node could not open its own files (a preload, the worker's code): out of file descriptors. Node 24
            // says it of a package.json without the code ("Cannot read package config …: too many open files.").
            const limit = /\b(EMFILE|ENFILE)\b/.exec(stderrTail)?.[1] ?? (/too many open files/i.test(stderrTail) ? 'EMFILE' : undefined);
            if (limit !== undefined) {
              giveUp(new WorkerKilledWhileLoading(`Loading ${where} did not begin: its worker process stopped before the file's code ran (${exit}): too many open files (${limit})${limitAdvice(limit)}. ${notStarted}`), false);
              return;
            }
            giveUp(new BadInputError('module', `Loading ${where} did not begin: its worker process stopped before the file's code ran (${exit})${said}${held.said('stdout')}`), false);
            return;
          }
          giveUp(new BadInputError('module', `Loading ${where} failed: its worker process stopped while loading (${exit})${said}; does the file call process.exit() or end its process as it is imported?${died !== undefined ? '' : held.said('stdout')}`), false);
          return;
        }
        if (execution!.runs.size === 0) return;
        await this.finishExecution(execution!, how);
      });
    });
  }

  /** What a new run is created with, once its worker has loaded the flow. */
  private newRun(request: RunRequest, { info, parameters, runName }: LoadedFlow, sourceHash: string | undefined): NewRun {
    return {
      flowName: info.name,
      source: request.source.kind === 'file' ? resolve(request.source.path) : `builtin:${request.source.id}`,
      parameters,
      ...(request.trigger ? { trigger: request.trigger } : {}),
      ...(sourceHash ? { sourceHash } : {}),
      ...(info.resumeOnCrash ? { resumeOnCrash: true } : {}),
      ...(runName !== undefined ? { name: runName } : {}),
      ...(request.refreshCache ? { refreshCache: true } : {}),
      ...(request.idempotencyKey !== undefined ? { idempotencyKey: this.masker.mask(request.idempotencyKey) } : {}),
      // The flow's (from its worker, which runs user code: checked again) and those it was started with.
      ...tagsField(mergedTags(tagsOf(info.tags), request.tags)),
    };
  }

  /** A new run, created while its flow loaded. Its 'Created' line goes to the journal with the worker's first records. */
  private async createRoot(execution: Execution, creating: Promise<RunHandle>): Promise<undefined> {
    const handle = await creating;
    const live = execution.adopt(handle, handle.created);
    execution.root = live;
    this.track(handle.id, execution);
    execution.createdLog(live);
    return undefined;
  }

  /**
   * A slot of the run's flow taken before the run is taken up, or FlowSlotBusy when every one is held (the
   * run then stays as it was, untouched, for a queue worker to give back to its queue).
   */
  private async flowSlotOrRefuse(execution: Execution, detail: FlowRunDetail): Promise<void> {
    const limit = execution.flow!.concurrencyLimit!;
    // Its turn first: a free slot due to a run queued before it stays that run's.
    const busy = await flowSlotTurn(this.store.limits, this.store.shared, detail, limit);
    if (busy) throw busy;
    const got = await holdFlowRunSlot(this.flowSlots, { flowName: detail.flowName, limit, runId: detail.id, wait: false, signal: new AbortController().signal, onWait: () => undefined });
    if (got !== 'held') throw new FlowSlotBusy(detail.flowName, limit);
  }

  /**
   * Gives back the run's slot of its flow — through the line, so this process's next waiter takes it — and
   * on a shared store hands the runs waiting on their queues for one to workers now, oldest first (they would
   * find it on their next try, seconds later, in no order).
   */
  private async releaseFlowSlot(runId: string, flowName: string, limit: number): Promise<void> {
    try {
      await this.flowSlots.release(flowRunSlotHolder(runId));
      await this.store.shared?.flowSlotFreed(flowName, limit);
    } catch {
      // A store down now: the waiting runs find the slot on their next try.
    }
  }

  /** Takes up a run created ahead of time (once it is due, for a schedule's slot): Pending, owned by this process from now on. */
  private async takeCreated(execution: Execution, target: Extract<LaunchTarget, { kind: 'created' }>, runName: string | undefined, parameters: Record<string, unknown>): Promise<undefined> {
    await target.until?.();
    const { detail } = target;
    const s = target.takenBy === undefined ? state('Pending') : state('Pending', `Taken by ${target.takenBy}`);
    const records: RunRecord[] = [stateRecord(detail.id, s)];
    if (target.takenBy !== undefined) {
      records.push({ k: 'log', runId: detail.id, ts: s.timestamp, level: 'INFO', source: flowRunSource(detail.name), message: `${target.takenBy} took flow run '${detail.name}' of flow '${detail.flowName}'` });
    }
    if (detail.refreshCache) records.push({ k: 'log', runId: detail.id, ts: s.timestamp, level: 'INFO', source: flowRunSource(detail.name), message: REFRESHING_CACHE });
    // Made before its flow was loaded: what the flow says of its runs is recorded now, with the state — and
    // the parameters its worker runs it with, its declared defaults filled in, when they are not those it
    // was made with (queued with none, it shows the defaults it ran with, as a run started here does).
    const flow = flowFacts(detail, execution.flow);
    const filled = isDeepStrictEqual(parameters, detail.parameters) ? undefined : parameters;
    if (flow || filled) records.push({ k: 'flow', runId: detail.id, ts: s.timestamp, ...flow, ...(filled ? { parameters: filled } : {}) });
    const handle = await this.store.openRun(detail.id);
    try {
      // Only while it still waits: a run cancelled (elsewhere) since it was read, or while it waited for its
      // slot, is not started, and its worker, which has loaded the flow and run none of it, is stopped.
      await handle.takeUp(journalLines(records), s, { attempt: detail.attempt, owner: currentProcess(), ...(flow ? { flow } : {}) });
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw e;
    }
    if (runName !== undefined && runName !== detail.name) {
      // Named by its flow now that its parameters are known (created ahead, it had two random words).
      try {
        const renamed = await handle.rename(runName, Date.now());
        const said: RunRecord = { k: 'log', runId: detail.id, ts: renamed.ts, level: 'INFO', source: flowRunSource(renamed.name), message: `Flow run '${detail.name}' is named '${renamed.name}' by its flow's flowRunName` };
        await handle.append([said]);
        records.push(renamed, said);
      } catch (e) {
        await handle.close().catch(() => undefined);
        throw e;
      }
    }
    const live = execution.adoptExisting(handle, detail);
    execution.root = live;
    this.track(detail.id, execution);
    execution.written(live, records);
    return undefined;
  }

  /** Takes up an existing run for a new attempt: AwaitingRetry, owned by this process, its checkpoints to hand over. */
  private async adoptRoot(execution: Execution, target: Extract<LaunchTarget, { kind: 'existing' }>, signal: AbortSignal | undefined): Promise<ResumePlan> {
    const { detail } = target;
    const { claim } = target;
    for (const [parent, subs] of target.prior) execution.prior.set(parent, subs);
    // Given up (Ctrl-C) while the store waits to open it, the run is left as it was (its claim given back).
    const live = execution.adoptExisting(await this.store.openRun(detail.id, { resume: true, ...(signal ? { signal } : {}) }), detail);
    execution.root = live;
    this.track(detail.id, execution);
    const { summary } = target;
    beginAttempt(execution, live, summary, target.why);
    // The run taken over (its state, this process its owner) goes out first, in a batch of its own: given up
    // (Ctrl-C) while the store waits to write it (the journal locked by another session), none of it is kept
    // and nothing after it is written, so the takeover fails as one that could not be written does, below;
    // written, the attempt has begun (a Ctrl-C as it committed then cancels the run).
    if (claim !== undefined && signal) {
      execution.givingUpOn = signal;
      await live.handle.flush(signal).catch(() => undefined);
      execution.givingUpOn = undefined;
    }
    // The input that resumes a suspension: on record with the attempt it begins, before the flow runs.
    if (target.given) execution.record(live, target.given);
    if (target.sourceHash && detail.sourceHash && target.sourceHash !== detail.sourceHash) {
      execution.log(live, 'WARNING', flowRunSource(detail.name), `The flow's source changed since attempt ${detail.attempt} (content hash ${detail.sourceHash.slice(0, 12)} → ${target.sourceHash.slice(0, 12)}): calls whose arguments are unchanged are reused all the same`);
    }
    execution.flushPending();
    if (claim !== undefined) {
      // On record before the flow is called; a takeover that could not be written gives its attempt back,
      // so a later resume can take it (the run is still as it ended).
      await execution.settled();
      if (execution.failedToRecord) {
        await this.store.unclaim(claim).catch(() => undefined);
        throw execution.failedToRecord;
      }
      // Cancelled while its flow loaded: the worker hears it before its start, so the flow is never called.
      const cancelled = await this.store.cancelOfClaim(claim).catch(() => undefined);
      if (cancelled !== undefined) this.cancel(detail.id, cancelled);
    }
    // Its worker has not started: what the folder holds that no record names, a dead attempt left.
    await this.store.dropUnrecordedResults(detail.id, false).catch(() => undefined);
    return summary.plan;
  }

  /**
   * Holds one of the slots of a flow with a `concurrencyLimit` for its run, waiting (Pending, saying for
   * which runs) while every slot is held; given back when the run ends. False when the run goes no further:
   * cancelled while it waited, or `cancel-new` found every slot held — its worker is stopped and the run
   * ends Cancelled.
   */
  private async flowSlot(execution: Execution): Promise<boolean> {
    const flow = execution.flow!;
    const root = execution.root;
    const d = root.fold.detail;
    const limit = flow.concurrencyLimit!;
    const wait = flow.collisionStrategy !== 'cancel-new';
    const source = flowRunSource(d.name);
    const since = Date.now();
    let why = `flow '${d.flowName}' runs at most ${limit} at once`;
    // Its worker may die while it waits (then it waits no more), or it is cancelled (Runner.cancel).
    const stop = new AbortController();
    execution.slotWait = stop;
    if (execution.cancelRequested) stop.abort(new Error('cancelled'));
    let over = false;
    void execution.done.finally(() => {
      over = true;
      stop.abort(new Error('its worker ended'));
    });
    // Who holds the slots, named once every slot is found held; awaited before the run goes on, so its
    // waiting state is never written after it got a slot.
    let told: Promise<void> | undefined;
    const tell = async (): Promise<void> => {
      const holders = (await this.store.limits.leases(flowRunTag(d.flowName)).catch(() => [])).map((l) => l.holder.runId);
      const names = (await Promise.all(holders.slice(0, 5).map(async (id) => (await this.store.get(id).catch(() => undefined))?.name ?? id))).map((n) => `'${n}'`);
      if (names.length > 0) why += ` (running: ${names.join(', ')}${holders.length > 5 ? ', …' : ''})`;
      if (!wait) return;
      const s = state('Pending', `${WAITING_FOR_FLOW_SLOT}${why}`);
      void execution.flowState(root, { k: 'state', runId: d.id, name: s.name, ts: s.timestamp, message: s.message! });
      execution.log(root, 'INFO', source, `${WAITING_FOR_FLOW_SLOT}${why}`);
      execution.flushPending();
    };
    let got: Awaited<ReturnType<typeof holdFlowRunSlot>>;
    let seatless = false;
    try {
      got = await holdFlowRunSlot(this.flowSlots, {
        flowName: d.flowName,
        limit,
        runId: d.id,
        wait,
        signal: stop.signal,
        onWait: () => {
          told = tell();
          // Waiting, it holds none of the host's run slots (maxConcurrentRuns): other flows' runs go meanwhile.
          // As many may wait so as there are run slots (each keeps its worker process); more wait holding theirs.
          if (wait && execution.seat?.held && this.seatless < (this.options.maxConcurrentRuns ?? Infinity)) {
            this.leaveSeat(execution.seat);
            this.seatless++;
            seatless = true;
          }
        },
      });
      await told;
      // Its slot of the flow held, it takes a run slot again before it goes (the host's bound on runs going).
      if (got === 'held' && execution.seat && !execution.seat.held) {
        if (await this.slot(undefined, stop.signal)) execution.seat.held = true;
        else {
          // Cancelled (or its worker gone) while it waited for a run slot: the flow's slot goes to the next.
          await this.releaseFlowSlot(d.id, d.flowName, limit);
          got = 'stopped';
        }
      }
    } catch (e) {
      execution.killReason = { name: 'Crashed', message: `Could not take a concurrency slot of flow '${d.flowName}': ${this.masker.mask((e as Error).message)}` };
      execution.worker.killGroup();
      return false;
    } finally {
      execution.slotWait = undefined;
      if (seatless) this.seatless--;
    }
    const waited = told !== undefined && wait;
    if (got !== 'held') {
      // Cancelled while it waited, or (cancel-new) every slot is held: it goes no further.
      execution.killReason = { name: 'Cancelled', message: wait ? `Cancelled while it waited for a concurrency slot: ${why}` : `Cancelled at once (collisionStrategy 'cancel-new'): ${why}` };
      execution.worker.killGroup();
      return false;
    }
    // When its worker dies and it is resumed here, the next attempt keeps the slot (resumeAfterCrash), and this
    // execution's end waits for that one's. Given back through the line, so this process's next waiter takes it.
    execution.holdsFlowSlot = true;
    void execution.done.finally(() => this.releaseFlowSlot(d.id, d.flowName, limit));
    if (over) return false;
    if (waited) {
      execution.log(root, 'INFO', source, `Got a concurrency slot of flow '${d.flowName}' after ${formatDuration(Date.now() - since)}`);
      execution.flushPending();
    }
    return true;
  }

  private onRunEvent(execution: Execution, summary: FlowRunSummary): void {
    this.track(summary.id, execution);
    this.emit('run', summary);
  }

  private onMessage(execution: Execution, message: WorkerMessage, line: string): void {
    switch (message.k) {
      case 'state': {
        const live = execution.runs.get(message.runId);
        if (!live) return;
        this.deadlines.track(execution, message.runId, message.name, message.deadline, message.ts, `Flow run '${live.fold.detail.name}'`);
        void execution.flowState(live, message, line);
        return;
      }
      case 'tstate': {
        const live = execution.runs.get(message.runId);
        if (!live) return;
        const t = live.fold.tasks.get(message.id);
        this.deadlines.track(execution, message.id, message.name, message.deadline, message.ts, `Task run '${t?.name ?? message.id}'`, message.runId);
        execution.workerRecord(live, message, line);
        return;
      }
      case 'task':
      case 'trun':
      case 'log':
      case 'artifact':
      case 'input':
      case 'result': {
        const live = execution.runs.get(message.runId);
        if (live) execution.workerRecord(live, message, line);
        return;
      }
      case 'req':
        this.onRequest(execution, message).then(
          (value) => execution.worker.send({ t: 'reply', reqId: message.reqId, value }),
          (e: Error) => execution.worker.send({ t: 'reply', reqId: message.reqId, error: this.masker.mask(e.message) }),
        );
        return;
      case 'secret':
        this.masker.add(message.value);
        return;
      case 'credentials':
        try {
          if (CREDENTIAL_OWNERS[message.service] === execution.root?.fold.detail.source) this.options.onCredentials?.(message.service, message.patch);
        } catch {
          // Saving refreshed credentials is best effort; the next run refreshes again.
        }
        return;
      case 'fatal':
        execution.fatal = message.message;
        if (message.failure) execution.fatalFailure = message.failure;
        if (message.state === 'TimedOut') execution.killReason ??= { name: 'TimedOut', message: message.message };
        return;
      case 'finished':
        this.letWorkerExit(execution);
        return;
      case 'ready':
      case 'rejected':
      case 'exiting':
      case 'cancelHeard':
        return;
    }
  }

  /**
   * A worker that finished ends once its run's end is on record and reported: its teardown (Node's heap
   * unmapped, its threads ended) would otherwise compete for the CPU with the run's last writes (measured:
   * a warm one-task run's result 2–3 ms later on 2 cores). Then it gets its grace to exit.
   */
  private letWorkerExit(execution: Execution): void {
    let told = false;
    const exit = (): void => {
      if (told) return;
      told = true;
      clearTimeout(timer);
      execution.worker.send({ t: 'exit' });
      execution.worker.expectExit(this.options.exitGraceMs ?? EXIT_GRACE_MS);
    };
    const timer = setTimeout(exit, EXIT_WAIT_MS);
    timer.unref();
    if (execution.rootEnded) void execution.rootEnded.then(exit);
    else exit();
  }

  private async onRequest(execution: Execution, request: Request): Promise<unknown> {
    switch (request.op) {
      case 'subflow':
        return this.subflows.call(execution, request);
      case 'subflow-unreadable':
        return this.subflows.unreadable(execution, request);
      case 'cache-get':
        // A run refreshing the cache finds nothing: its tasks run, and their results replace what was there.
        if (execution.request.refreshCache) return null;
        return (await this.store.cache.get(request.key)) ?? null;
      case 'cache-put':
        await this.store.cache.put(request.key, request.serialized, request.expiresAt, request.task !== undefined && request.runId !== undefined ? { task: this.masker.mask(request.task), runId: request.runId } : undefined);
        return true;
      case 'kv-get':
        return this.store.kv.get(request.namespace, request.key);
      case 'kv-set':
        await this.store.kv.set(request.namespace, request.key, request.value);
        return true;
      case 'var-get': {
        const v = await this.store.variables.get(request.name);
        return v === undefined ? { missing: true } : { value: v.value };
      }
      case 'var-set':
        await this.store.variables.set(request.name, request.value);
        return true;
      case 'slots-acquire':
        return this.acquireSlots(execution, request);
      case 'slots-release':
        await this.gate.release({ runId: request.runId, taskRunId: request.taskRunId });
        return true;
    }
  }

  /** Holds the concurrency slots a task run's tags call for; while it waits, the task run shows AwaitingConcurrencySlot. */
  private async acquireSlots(execution: Execution, request: Extract<Request, { op: 'slots-acquire' }>): Promise<SlotsReply> {
    const live = execution.runs.get(request.runId);
    if (!live) throw new Error(`unknown run ${request.runId}`);
    const { held, stopped, unreadable } = await this.gate.acquire({ runId: request.runId, taskRunId: request.taskRunId }, request.tags, (limits) => {
      const message = `Waiting for a concurrency slot: ${limits.map((l) => `'${l.tag}' (limit ${l.limit})`).join(', ')}`;
      execution.record(live, { k: 'tstate', runId: request.runId, id: request.taskRunId, name: 'AwaitingConcurrencySlot', ts: Date.now(), message });
      // Once a run and tag, the log says why its task runs go no faster (a map's states alone do not show in `flowdeck run`).
      live.slotWaits ??= new Set();
      const fresh = limits.filter((l) => !live.slotWaits!.has(l.tag));
      for (const l of fresh) {
        live.slotWaits.add(l.tag);
        execution.log(live, 'INFO', flowRunSource(live.fold.detail.name), `Task runs tagged '${l.tag}' wait for a concurrency slot: at most ${l.limit} run at once (\`flowdeck limit ls\` shows who holds the slots)`);
      }
      execution.flushPending();
    });
    return stopped ? { held: false, stopped, ...(unreadable ? { unreadable } : {}) } : { held };
  }

  private async finishExecution(execution: Execution, how: { code: number | null; signal: NodeJS.Signals | null }): Promise<void> {
    // The worker is gone: the concurrency slots its task runs held are free again.
    await this.gate.releaseRuns(execution.runs.keys());
    if (await this.resumeAfterCrash(execution, how)) return;
    await execution.finish(how);
    // A suspended run calls them when resumed.
    if (execution.root.fold.detail.state.name !== 'Suspended') await this.subflows.settleUntouched(execution, (id, e) => this.emit('storeError', id, e));
    await this.dropUnrecordedResults(execution);
    this.untrack(execution);
    const root = execution.root.fold.detail;
    if (root.state.type === 'CRASHED' && execution.flow?.hasCrashedHooks) await this.runCrashedHooks(execution);
    execution.resolve();
  }

  /**
   * A worker that died (an exit, a signal, out of memory) is a failed attempt: while the flow has retries
   * left, a fresh worker resumes the run from its checkpoints. Returns whether it did.
   */
  private async resumeAfterCrash(execution: Execution, how: { code: number | null; signal: NodeJS.Signals | null }): Promise<boolean> {
    const root = execution.root;
    const d = root.fold.detail;
    const retries = execution.flow?.retries ?? 0;
    if (execution.killReason || execution.cancelRequested || isSettled(d.state) || root.finishing || d.attempt > retries) return false;
    await execution.settled();
    if (isSettled(d.state)) return false;
    const why = `${execution.crashText(how)}; resuming from its checkpoints`;
    execution.log(root, 'WARNING', flowRunSource(d.name), why);
    execution.flushPending();
    await execution.settled();
    for (const live of execution.runs.values()) await live.handle.close().catch(() => undefined);
    this.untrack(execution);
    try {
      const detail = (await this.store.readRun(d.id)) ?? d;
      const summary = resumePlanFor(detail, detail.attempt + 1, retries - detail.attempt);
      const next = await this.launch(execution.request, execution.modulePath, undefined, {
        kind: 'existing',
        detail,
        summary,
        prior: await this.subflows.prior(d.id),
        sourceHash: await hashFile(execution.modulePath),
        why: 'Resuming after the worker died:',
        ...(execution.holdsFlowSlot ? { slotHeld: true } : {}),
      });
      execution.handOver(next.done);
      return true;
    } catch (e) {
      this.emit('storeError', d.id, e as Error);
      return false;
    }
  }

  /**
   * Its worker gone and its runs settled, the result files of the execution's runs that no record names go
   * (an earlier attempt's host died writing them; a write that failed). A resume of the run (another process)
   * writes the folders from when it claims the next attempt: that attempt is claimed here while they go, as a
   * delete claims it, and a resume already under way leaves them to its own takeover.
   */
  private async dropUnrecordedResults(execution: Execution): Promise<void> {
    const root = execution.root.fold.detail;
    const claim = root.state.type === 'COMPLETED' ? undefined : attemptKey(root.id, root.attempt + 1);
    if (claim !== undefined && !(await this.store.claim(claim).catch(() => false))) return;
    try {
      const ids = new Set([...execution.runs.keys(), ...[...execution.prior.values()].flat().map((d) => d.id)]);
      for (const id of ids) await this.store.dropUnrecordedResults(id, true).catch(() => undefined);
    } finally {
      if (claim !== undefined) await this.store.unclaim(claim).catch(() => undefined);
    }
  }

  /**
   * A flow's onCrashed hooks run in a fresh worker (the one that ran the flow is gone); what they log
   * goes to the crashed run. Hooks that do not finish within their budget are abandoned.
   */
  private async runCrashedHooks(execution: Execution): Promise<void> {
    const root = execution.root.fold.detail;
    let handle;
    try {
      handle = await this.store.openRun(root.id);
    } catch {
      return;
    }
    let pending = '';
    const hooks = this.spawn(
      execution.request,
      execution.modulePath,
      {
        raw: () => false,
        line: (line) => {
          let m: WorkerMessage;
          try {
            m = JSON.parse(line) as WorkerMessage;
          } catch {
            return;
          }
          if (m.k === 'ready') hooks.send({ t: 'crashed-hook', runId: root.id, runName: root.name, message: root.state.message ?? '' });
          else if (m.k === 'finished') hooks.send({ t: 'exit' });
          else if (m.k === 'log' && m.runId === root.id) {
            pending += `${line}\n`;
            this.emit('log', m);
          }
        },
        read: () => undefined,
      },
      () => undefined,
    );
    const timer = setTimeout(() => hooks.killGroup(), this.options.crashHookBudgetMs ?? 10_000);
    await hooks.exited;
    clearTimeout(timer);
    await handle.appendText(pending).catch(() => undefined);
    await handle.close();
  }

  /** A run (or subflow run) of `execution` runs here: cancel requests of other processes reach it from now on. */
  private track(runId: string, execution: Execution): void {
    this.executions.set(runId, execution);
    this.offCancelRequests ??= this.store.onCancelRequest((id, reason) => {
      if (!this.executions.has(id)) return false;
      this.cancel(id, reason);
      return true;
    });
    this.offResumeRequests ??= this.store.onResumePausedRequest((id, input) => {
      if (!this.executions.has(id)) return false;
      this.resumePaused(id, input);
      return true;
    });
    // Its worker ends when this host's lease stops holding — a frozen host cannot fence it (worker/main.ts).
    if (this.leaseUntil !== undefined) {
      const at = Date.now();
      execution.worker.send({ t: 'lease', ms: this.leaseUntil - at, at });
    }
    this.offLease ??= this.store.onLeaseHeld?.((ms) => {
      const at = Date.now();
      this.leaseUntil = at + ms;
      for (const e of new Set(this.executions.values())) e.worker.send({ t: 'lease', ms, at });
    });
    // Its worker starts no task run while the store does not confirm the runs' records (worker/storeWait.ts).
    if (this.storeWaiting) execution.worker.send({ t: 'store', waiting: true });
    this.offStoreWait ??= this.store.onWritesWaiting?.((waiting) => {
      if (waiting === this.storeWaiting) return;
      this.storeWaiting = waiting;
      for (const e of new Set(this.executions.values())) e.worker.send({ t: 'store', waiting });
    });
  }

  /** `execution`'s runs run here no more; with none left, cancel requests are no longer followed. */
  private untrack(execution: Execution): void {
    for (const id of execution.runs.keys()) if (this.executions.get(id) === execution) this.executions.delete(id);
    if (this.executions.size > 0) return;
    this.offCancelRequests?.();
    this.offCancelRequests = undefined;
    this.offLease?.();
    this.offLease = undefined;
    this.leaseUntil = undefined;
    this.offStoreWait?.();
    this.offStoreWait = undefined;
    this.storeWaiting = false;
    this.offResumeRequests?.();
    this.offResumeRequests = undefined;
  }

  /**
   * Resumes a paused run of this process (pauseFlowRun) with `input`, checked against what it waits for
   * (defaults filled in). Returns why not: it is not paused here, it is being resumed already, or the
   * input does not fit — which its log says too, the run staying paused.
   */
  resumePaused(runId: string, input: Record<string, unknown>): string | undefined {
    const execution = this.executions.get(runId);
    const live = execution?.runs.get(runId);
    if (!execution || !live) return `Flow run ${runId} is not running in this process`;
    const d = live.fold.detail;
    if (d.state.type !== 'PAUSED') return `Flow run '${d.name}' is not paused: it is ${d.state.name}`;
    if (live.resumedPause === d.state.timestamp) return `Flow run '${d.name}' is being resumed already`;
    const checked = pauseInput(d.state.pause?.input, input, (t) => this.masker.mask(t), d.name);
    if ('problem' in checked) {
      execution.log(live, 'WARNING', flowRunSource(d.name), `A resume was refused, so the run stays paused: ${checked.problem}`);
      return checked.problem;
    }
    live.resumedPause = d.state.timestamp;
    // Recorded before it is handed over: a run resumed from its checkpoints later goes on with it, not asking again.
    const key = d.state.pause?.key;
    if (key !== undefined) execution.record(live, { k: 'input', runId, key, ts: Date.now(), value: this.masker.maskValue(checked.input) });
    const names = Object.keys(checked.input);
    execution.log(live, 'INFO', flowRunSource(d.name), `Resuming flow run '${d.name}'${names.length > 0 ? ` with input ${names.join(', ')}` : ''}`);
    execution.worker.send({ t: 'resume', runId, input: checked.input });
    return undefined;
  }

  /** Cancels a run: CANCELLING, the flow's AbortSignal fires, then the worker is killed after a grace period. */
  cancel(runId: string, reason = 'Cancelled by user'): boolean {
    const execution = this.executions.get(runId);
    if (execution && this.hooksGoing(runId)) return this.stopHooks(execution, this.limits.cancelGraceMs);
    if (!execution || execution.cancelRequested || isTerminal(execution.root.fold.detail.state.type)) return false;
    execution.cancelRequested = true;
    // Waiting for a slot of its flow: it stops waiting, and ends Cancelled.
    execution.slotWait?.abort(new Error(reason));
    const s = state('Cancelling', reason);
    void execution.flowState(execution.root, { k: 'state', runId: execution.id, name: s.name, ts: s.timestamp, message: reason });
    execution.worker.send({ t: 'cancel', reason });
    const timer = setTimeout(() => execution.worker.killGroup(), this.limits.cancelGraceMs);
    timer.unref();
    void execution.done.finally(() => clearTimeout(timer));
    return true;
  }

  /** Stops a run at once (a second Ctrl-C): no grace, the worker's group is killed now. */
  kill(runId: string, reason: string): boolean {
    const execution = this.executions.get(runId);
    if (execution && this.hooksGoing(runId)) return this.stopHooks(execution, 0);
    if (!execution || isTerminal(execution.root.fold.detail.state.type)) return false;
    execution.killReason ??= { name: 'Cancelled', message: reason };
    execution.worker.killGroup();
    return true;
  }

  /**
   * Whether run `runId` has ended (its final state is on record) while its worker goes on — its hooks
   * (`onCompletion`, `onFailure`, `onCancellation`) still running, maybe for ever.
   */
  hooksGoing(runId: string): boolean {
    const execution = this.executions.get(runId);
    return execution !== undefined && execution.root.fold.detail.id === runId && isTerminal(execution.root.fold.detail.state.type);
  }

  /** Ends the worker of a run that has ended and runs its hooks: after `graceMs` (a cancel), or at once (a kill). The run's state stays. */
  private stopHooks(execution: Execution, graceMs: number): boolean {
    const timer = setTimeout(() => execution.worker.killGroup(), graceMs);
    timer.unref();
    void execution.done.finally(() => clearTimeout(timer));
    return true;
  }

  /** Cancels everything (the host is shutting down) and waits for the runs to end. */
  async dispose(): Promise<void> {
    const all = [...new Set(this.executions.values())];
    for (const e of all) this.cancel(e.id, 'Cancelled: Flowdeck is shutting down');
    await Promise.all(all.map((e) => e.done));
    this.standby.dispose();
  }

  /** For tests: the live run a host keeps (its fold matches what the store replays). */
  liveRun(id: string): LiveRun | undefined {
    return this.executions.get(id)?.runs.get(id);
  }
}
