/**
 * Messages between the host (which owns the store and the run's state) and the worker process (which
 * runs user code).
 *
 * Worker → host: one JSON message per line on the event pipe (the worker's fd 3), written with
 * synchronous writes — so the host hears from a worker that never yields its event loop, and a worker's
 * last lines before `process.exit` are not lost. Journal records travel as the very lines the run's
 * journal keeps (masked by the worker, appended by the host as they are).
 * Host → worker: Node's IPC channel (load, start, cancel, replies).
 */
import type { ParameterDeclarations } from './parameters';
import type { CallIdentity, GivenInput, ResultRef, RunRecord } from './records';
import type { Failure } from './states';

/** Where a flow comes from. */
export type FlowSource = { kind: 'file'; path: string } | { kind: 'builtin'; id: string };

/** The worker's file descriptor for the event pipe. */
export const EVENT_FD = 3;

export interface FlowInfo {
  name: string;
  description?: string;
  version?: string;
  timeoutSeconds?: number;
  parameters?: ParameterDeclarations;
  /** The export it was found under (`default` or a named export). */
  exportName: string;
  /** Whether the flow has onCrashed hooks, which the host runs in a fresh worker after a crash. */
  hasCrashedHooks?: boolean;
  /** The flow's `retries`: a crashed worker is a failed attempt, resumed while retries are left. */
  retries?: number;
  /** Resume automatically after the host died. */
  resumeOnCrash?: boolean;
  /** At most this many runs of the flow at once (FlowOptions.concurrencyLimit), and what a run does past it. */
  concurrencyLimit?: number;
  collisionStrategy?: 'enqueue' | 'cancel-new';
  /** The flow's own tags (FlowOptions.tags): every run of it carries them. */
  tags?: string[];
}

/** A completed call of an earlier attempt, which a resumed run returns instead of running again. */
export interface Checkpoint {
  argsHash: string;
  /** The attempt that ran it. */
  attempt: number;
  taskRunId: string;
  /** The result: its stored form (serializer.ts) inline, or a file in `resultsDir`. */
  value?: unknown;
  ref?: ResultRef;
}

/** How a run resumes: its new attempt, the completed calls to reuse (by call key), retries left. */
export interface ResumePlan {
  attempt: number;
  checkpoints: Record<string, Checkpoint>;
  /**
   * Completed calls of earlier attempts whose arguments could not be hashed (a function argument), by call
   * key: the attempt each completed in. Not reused — the same call with other arguments would get their
   * result — so they run again, and the task run says why.
   */
  unhashed?: Record<string, number>;
  /** Flow-level retries still allowed in this attempt series. */
  retriesLeft?: number;
  /** The input earlier attempts' pauses were resumed with, by pause key: those pauses go on with it, not asking again. */
  inputs?: Record<string, GivenInput>;
  /** The artifact keys earlier attempts used: they count towards the run's keys (ARTIFACT_LIMITS.keysPerRun). */
  artifactKeys?: string[];
}

/** Limits the worker applies to what it hands over (documented in README, set by environment). */
export interface WorkerLimits {
  /** Results up to this size stay inside the journal; larger ones get a file of their own. */
  inlineResultBytes: number;
  /** Results larger than this are not kept (a warning says so). */
  maxResultBytes: number;
  /** Log lines longer than this are cut, saying how much was cut. */
  maxLogLineBytes: number;
  /** How long code past its timeout gets to stop before its worker is killed. */
  timeoutGraceMs: number;
  /** How long cancelled code gets to stop (finally blocks, onCancellation hooks) before the kill. */
  cancelGraceMs: number;
  /** A map still going after this long logs how far it is, and again each time as long. */
  mapProgressMs: number;
}

export type HostToWorker =
  | {
      t: 'load';
      source: FlowSource;
      modulePath: string;
      flowName?: string;
      parameters: Record<string, unknown>;
      /** `--param` texts, converted by the flow's declarations (RunRequest.parameterText). */
      parameterText?: Record<string, string>;
      /** Values of secret parameters given again (RunRequest.secretParameters). */
      secretParameters?: Record<string, string>;
      home: string;
      /** Secret values to mask besides the worker's own environment (stored credentials). */
      secrets: string[];
      limits: WorkerLimits;
    }
  | { t: 'start'; runId: string; runName: string; resultsDir: string; resume?: ResumePlan }
  | { t: 'cancel'; reason: string }
  /** A paused run (pauseFlowRun) goes on with `input`, which the host checked against what it waits for (defaults filled in). */
  | { t: 'resume'; runId: string; input: Record<string, unknown> }
  | { t: 'reply'; reqId: number; value?: unknown; error?: string }
  | { t: 'crashed-hook'; runId: string; runName: string; message: string }
  /** After `finished`: the run's end is on record, the worker may end (worker/main.ts `finish`). */
  | { t: 'exit' }
  /**
   * The host's hold on the run is sure for `ms` more (its lease on a Postgres store, renewed): a worker that
   * hears no more by then ends at once — its host frozen or cut off, the run soon resumed elsewhere. `at`:
   * the host's clock (Date.now()) when it sent this, so a word read late — the worker's loop was busy —
   * counts from when it was said, not from when it was read.
   */
  | { t: 'lease'; ms: number; at?: number }
  /**
   * The store does not confirm the run's records (its server away): no task run starts until it does
   * (`waiting: false`) — or the host fences itself and ends the run. Task runs going on finish.
   */
  | { t: 'store'; waiting: boolean };

/** `system-limit`: the system refused what loading needed (open files: EMFILE; processes): not the file's doing. */
export type LoadRejection = 'no-flow' | 'compile' | 'module' | 'invalid-parameters' | 'system-limit';

export type Request =
  /** `runName`: what the subflow's `flowRunName` names its run (masked). */
  | { op: 'subflow'; parentRunId: string; parentTaskRunId?: string; flowName: string; parameters: Record<string, unknown>; call: CallIdentity; runName?: string; tags?: string[] }
  /**
   * The completed subflow run `runId` a `subflow` reply handed back (`reused`) has a result the worker cannot
   * read back (`why`): it runs again from its checkpoints, as a new attempt of its own (SubflowReply.resume).
   */
  | { op: 'subflow-unreadable'; parentRunId: string; runId: string; why: string }
  /** Replies with the serialized value, or null. */
  | { op: 'cache-get'; key: string }
  /** `task`: the task's name, `runId` the run's, kept beside the entry (flowdeck cache ls). */
  | { op: 'cache-put'; key: string; serialized: string; expiresAt?: number; task?: string; runId?: string }
  | { op: 'kv-get'; namespace: string; key: string }
  | { op: 'kv-set'; namespace: string; key: string; value: unknown }
  /** Replies with the variable's value, or `null` with `missing: true`. */
  | { op: 'var-get'; name: string }
  | { op: 'var-set'; name: string; value: unknown }
  /** Before an attempt of a task run with tags: replies (SlotsReply) once it holds a slot of each limited tag, or at once when one is limited to 0. */
  | { op: 'slots-acquire'; runId: string; taskRunId: string; tags: string[] }
  /** After the attempt (or to stop waiting). */
  | { op: 'slots-release'; runId: string; taskRunId: string };

/** `held`: a slot of each limited tag (false: none is limited). `stopped`: tags limited to 0 — the task run is not run. */
export interface SlotsReply {
  held: boolean;
  stopped?: string[];
  /** Of `stopped`, tags whose stored limit cannot be read (a damaged file): what is wrong and what to do, each. */
  unreadable?: string[];
}

export interface SubflowReply {
  id: string;
  name: string;
  resultsDir: string;
  /** The subflow run is an earlier attempt's, resumed. */
  resume?: ResumePlan;
  /** An earlier attempt completed this subflow call: its result, returned without running it again. */
  reused?: Checkpoint;
}

/** Everything but journal records: how the worker talks to its host. */
export type ControlMessage =
  /**
   * The flow file's own code runs next (its top level): the worker's start — Node's, its preloads, the
   * module hooks' registration — is over, and the host's bound on it (FLOWDECK_WORKER_START_SECONDS) ends.
   * What the file does as it is imported may take as long as it takes.
   */
  | { k: 'loading' }
  /** `moduleHooks`: loading the flow needed Node's module hooks (the next standby readies them ahead). */
  /**
   * `runName`: what the flow's `flowRunName` names the run (masked); a run taken up or created is given it.
   * `runNameError`: why it gave none (a new run is then not started; a resumed one keeps its name).
   */
  | { k: 'ready'; flow: FlowInfo; parameters: Record<string, unknown>; moduleHooks?: true; runName?: string; runNameError?: string }
  /** `secretsNotKept`: the secret parameters given as `***` that refused it (RunRequest.secretParameters gives them again). */
  | { k: 'rejected'; reason: LoadRejection; message: string; secretsNotKept?: string[] }
  | ({ k: 'req'; reqId: number } & Request)
  /** A value registered as secret at run time: the host masks it in what it prints too. */
  | { k: 'secret'; value: string }
  | { k: 'credentials'; service: string; patch: Record<string, unknown> }
  /**
   * The worker is about to die (an uncaught error, `process.exit()` in the flow's code, or killing itself
   * over a timeout); says why, as what follows "after", and where in the user's code, if it knows.
   */
  | { k: 'fatal'; message: string; state?: 'TimedOut'; failure?: Failure }
  | { k: 'finished' }
  /**
   * The worker read its cancel (sent before its flow's signal fires): a host that stopped reading it for a
   * store behind (WorkerProcess.holdEvents) may stop again — what it logs winding down waits in the worker.
   */
  | { k: 'cancelHeard' }
  /** The last line: every exit handler has run and the process ends with `code`; its pipes close next. */
  | { k: 'exiting'; code: number };

export type WorkerMessage = Exclude<RunRecord, { k: 'run' } | { k: 'name' } | { k: 'flow' }> | ControlMessage;
