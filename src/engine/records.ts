/**
 * The plain records the engine produces and the store keeps. A run's journal is a sequence of
 * `RunRecord`s (one JSON line each); everything a view shows is folded from them by the run reducer
 * (runReducer.ts), live in the runner and on replay from the store alike.
 */
import type { Artifact, ArtifactData } from './artifacts';
import type { Failure, LogLevel, PauseInfo, State, StateName } from './types';

export type { LogLevel, PauseInfo } from './types';

/**
 * How a record's journal line begins: every writer puts `k` first (`{"k":"log",…`). Readers pass over
 * unparsed the lines they can tell they do not need: a read of a run's state its log lines (the reducer
 * ignores logs), a read of its logs every line of another kind. A line written otherwise is merely parsed.
 */
const KIND_START = Buffer.from('{"k":"');
const LOG_KIND = Buffer.from('log",');

function startsWith(bytes: Buffer, at: number, to: number, prefix: Buffer): boolean {
  return to - at >= prefix.length && bytes.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/** Whether the journal line `bytes[from, to)` is surely a log record's. */
export function isLogLine(bytes: Buffer, from: number, to: number): boolean {
  return startsWith(bytes, from, to, KIND_START) && startsWith(bytes, from + KIND_START.length, to, LOG_KIND);
}

/** Whether the journal line `bytes[from, to)` is surely not a log record's. */
export function isOtherThanLogLine(bytes: Buffer, from: number, to: number): boolean {
  return startsWith(bytes, from, to, KIND_START) && !startsWith(bytes, from + KIND_START.length, to, LOG_KIND);
}

/** The kinds of a run's task runs, results and artifacts: what a reader of its logs and its own state passes over. */
export const TASK_RECORD_KINDS: readonly string[] = ['task', 'trun', 'tstate', 'result', 'artifact'];

/** Whether a journal line `bytes[from, to)` is surely one of `kinds`: a test of its first bytes alone. */
export function lineOfKinds(kinds: readonly string[]): (bytes: Buffer, from: number, to: number) => boolean {
  const starts = kinds.map((k) => Buffer.from(`${k}",`));
  return (bytes, from, to) => startsWith(bytes, from, to, KIND_START) && starts.some((k) => startsWith(bytes, from + KIND_START.length, to, k));
}

/** Whether a journal line `bytes[from, to)` is surely none of `kinds`: a test of its first bytes alone. */
export function lineOtherThanKinds(kinds: readonly string[]): (bytes: Buffer, from: number, to: number) => boolean {
  const starts = kinds.map((k) => Buffer.from(`${k}",`));
  return (bytes, from, to) => startsWith(bytes, from, to, KIND_START) && !starts.some((k) => startsWith(bytes, from + KIND_START.length, to, k));
}

/** Whether the journal line `bytes[from, to)` is surely a task run's, a result's or an artifact's. */
export const isTaskLine = lineOfKinds(TASK_RECORD_KINDS);

/** One log line: the same shape from the worker to the run's file to every view. */
export interface LogRecord {
  k: 'log';
  /** Flow run the line belongs to. */
  runId: string;
  /** Set when a task run wrote the line. */
  taskRunId?: string;
  /** Epoch milliseconds. */
  ts: number;
  level: LogLevel;
  /** `flowdeck.engine`, `Flow run 'light-potoo'`, `Task run 'fetch-repo-0'`. */
  source: string;
  message: string;
}

/** Identifies the process that owns a run, robust to PID reuse (start time from /proc where available). */
export interface ProcessIdentity {
  pid: number;
  /** Process start time in clock ticks since boot (Linux), or undefined elsewhere. */
  startTicks?: number;
  /** Kernel boot id (Linux); a reboot makes every older identity dead. */
  bootId?: string;
  hostname: string;
}

/** What started a run. */
export type RunTrigger = { kind: 'manual' } | { kind: 'schedule'; id: string; slot: number } | { kind: 'resume' };

/** What the run history lists: small, no parameters or results (those live in the run's journal). */
export interface FlowRunSummary {
  id: string;
  name: string;
  flowName: string;
  /** Where the flow came from: a file path or `builtin:<id>`. */
  source: string;
  state: State;
  /** Epoch ms when the run was created. */
  created: number;
  startTime?: number;
  endTime?: number;
  parentRunId?: string;
  parentTaskRunId?: string;
  owner: ProcessIdentity;
  /** The flow run's attempt (1 for the first); a resumed run counts on. */
  attempt: number;
  /** Orders the run's state changes in the index: a higher sequence number wins. */
  seq: number;
  trigger?: RunTrigger;
  /** The flow asked to be resumed automatically after its host died. */
  resumeOnCrash?: boolean;
  /** Keys of the artifacts the run (or its task runs) created, so the latest of a key is found without reading journals. */
  artifactKeys?: string[];
  /** Its tags (runTags.ts): its flow's own and those it was started with; a subflow run's parent's too. */
  tags?: string[];
  /** The queue it was handed to for workers (`run --queue`, `resume --queue`: Postgres); absent for a run not queued. */
  queue?: string;
}

/** Where a result too large to keep inside the journal is stored, relative to the run's results folder. */
export interface ResultRef {
  file: string;
  bytes: number;
}

/**
 * Which call a task run (or a subflow run) is, within its parent run: the task's name and the position
 * of the call among that task's calls (`fetch-page#3`; a map's items count in order), and a hash of its
 * arguments. A resumed run reuses a completed call of the same identity instead of running it again.
 */
export interface CallIdentity {
  key: string;
  /** Undefined when the arguments could not be hashed: such a call is never reused. */
  argsHash?: string;
}

export interface TaskRunRecord {
  id: string;
  flowRunId: string;
  name: string;
  taskName: string;
  state: State;
  attempts: number;
  /** The flow run's attempt this task run belongs to. */
  flowAttempt: number;
  call?: CallIdentity;
  /** Set when the task run reused a completed call of an earlier attempt instead of running. */
  reusedFrom?: { attempt: number; taskRunId: string };
  startTime?: number;
  endTime?: number;
  cacheKey?: string;
  tags?: string[];
  /** Time spent in AwaitingConcurrencySlot, waiting for a slot of a limited tag (every attempt's). */
  slotWaitMs?: number;
  /** The stored result (its stored form, serializer.ts), when the task persisted one inline. */
  result?: StoredValue;
  resultRef?: ResultRef;
}

/**
 * A value as the serializer flattens it (serializer.ts): plain JSON that stands for any structured-clone
 * value. `deserialize` turns it back into the value; `toJsonView` into something JSON can print.
 */
export type StoredValue = { dv: unknown };

/** Everything stored about one flow run. */
export interface FlowRunDetail extends FlowRunSummary {
  parameters: Record<string, unknown>;
  states: State[];
  taskRuns: TaskRunRecord[];
  result?: StoredValue;
  resultRef?: ResultRef;
  /** Set when a result was not kept (too large, or not serializable), saying why. */
  resultNote?: string;
  /** Lines skipped because they were torn, malformed or too large to read. */
  skippedRecords: number;
  /** The run is listed but its journal file is gone: no logs, tasks or result can be shown. */
  missingJournal?: boolean;
  /** A subflow run's call identity in its parent. */
  call?: CallIdentity;
  sourceHash?: string;
  /** Its tasks ignore cached results and replace them (`flowdeck run --refresh-cache`), in every attempt. */
  refreshCache?: true;
  /** The key `flowdeck run --idempotency-key` started it with. */
  idempotencyKey?: string;
  /** The latest artifact of each key the run (or its task runs) created, in the order the keys first appeared. */
  artifacts?: Artifact[];
  /** The input each of its pauses was resumed with (pauseFlowRun), by the pause's key: a resumed run's answers. */
  inputs?: Record<string, GivenInput>;
}

/** The input a resume gave one pause of a run, and in which of the run's attempts. */
export interface GivenInput {
  value: Record<string, unknown>;
  attempt: number;
  ts: number;
  /** Not resumed in time, and the flow went on (PauseInputRecord.timedOut): it times out again at once. */
  timedOut?: true;
}

/** The journal of one run: one JSON line per record, in the order they happened. */
export type RunRecord =
  | RunCreatedRecord
  | { k: 'state'; runId: string; name: StateName; ts: number; message?: string; attempt?: number; deadline?: number; failure?: Failure; pause?: PauseInfo; subflowRunId?: string }
  | { k: 'task'; runId: string; id: string; name: string; taskName: string; ts: number; cacheKey?: string; tags?: string[]; call?: CallIdentity; reusedFrom?: { attempt: number; taskRunId: string } }
  | { k: 'tstate'; runId: string; id: string; name: StateName; ts: number; message?: string; attempt?: number; deadline?: number; failure?: Failure }
  | LogRecord
  | ArtifactRecord
  | { k: 'result'; runId: string; taskRunId?: string; value?: unknown; ref?: ResultRef; note?: string }
  | TaskRunCompact
  | RunNameRecord
  | RunFlowRecord
  | PauseInputRecord;

/**
 * What a run's flow says of its runs, recorded as a run made before its flow was loaded (queued, a stored
 * schedule's) is taken up: the flow's `resumeOnCrash` and its tags, which the run could not carry when made.
 * `tags` is the run's whole list from now on. `parameters`, when they differ from those the run was made
 * with, are those its flow runs with — its declared defaults filled in, as a run started directly records
 * them — and the run's parameters from now on (a journal fact: the index's summary carries none).
 */
export interface RunFlowRecord {
  k: 'flow';
  runId: string;
  ts: number;
  resumeOnCrash?: true;
  tags?: string[];
  parameters?: Record<string, unknown>;
}

/** What a RunFlowRecord adds to a run's summary (in the index's state record as the run is taken up). */
export type RunFlowFacts = Pick<RunFlowRecord, 'resumeOnCrash' | 'tags'>;

/**
 * The input a resume gave a paused run (pauseFlowRun), recorded by the process running it as it hands the
 * input over (Prefect's flow run input): a run resumed from its checkpoints that pauses under the same key
 * goes on with it rather than asking again.
 */
export interface PauseInputRecord {
  k: 'input';
  runId: string;
  /** The pause's key (PauseInfo.key). */
  key: string;
  ts: number;
  value: Record<string, unknown>;
  /**
   * Set by the worker: the pause was not resumed in time and the flow went on past it (it caught the
   * PauseTimeoutError, then called a task, a subflow or another pause). A run resumed from its checkpoints
   * that reaches the pause times out again at once, and takes the same way. `value` is `{}`.
   */
  timedOut?: true;
}

/** The run's name from now on: the one its flow's `flowRunName` gave it when it was taken up (created ahead). */
export interface RunNameRecord {
  k: 'name';
  runId: string;
  name: string;
  ts: number;
}

/** An artifact a flow or task run created (artifacts.ts): the data is checked by `artifactProblem`. */
export interface ArtifactRecord {
  k: 'artifact';
  runId: string;
  taskRunId?: string;
  key: string;
  ts: number;
  data: ArtifactData;
}

/**
 * A whole task run in one record, for the common case of a task that started and ended between two
 * writes of the worker's buffer: what `task` + `tstate` Running + `result` + `tstate` Completed say, in one
 * line. Folds exactly as that sequence would.
 */
export interface TaskRunCompact {
  k: 'trun';
  runId: string;
  id: string;
  name: string;
  taskName: string;
  /** Created, started and ended (epoch ms). */
  ts: number;
  start: number;
  end: number;
  state: StateName;
  message?: string;
  attempt?: number;
  cacheKey?: string;
  tags?: string[];
  call?: CallIdentity;
  reusedFrom?: { attempt: number; taskRunId: string };
  value?: unknown;
  ref?: ResultRef;
  note?: string;
}

export interface RunCreatedRecord {
  k: 'run';
  runId: string;
  name: string;
  flowName: string;
  source: string;
  parameters: Record<string, unknown>;
  created: number;
  parentRunId?: string;
  parentTaskRunId?: string;
  owner: ProcessIdentity;
  attempt?: number;
  trigger?: RunTrigger;
  /** A subflow run's call identity in its parent. */
  call?: CallIdentity;
  /** Hash of the flow file's content when the run was created (a resume warns when it changed). */
  sourceHash?: string;
  /** Resume automatically after its host died (the flow's `resumeOnCrash`). */
  resumeOnCrash?: boolean;
  /** Started with `--refresh-cache`: its tasks (and its subflows') ignore cached results and replace them. */
  refreshCache?: true;
  /** Started with `flowdeck run --idempotency-key`: the key. */
  idempotencyKey?: string;
  /** Its tags (FlowRunSummary.tags). */
  tags?: string[];
}

/** The run index: small lines that let the history be listed without reading any run's journal. */
export type IndexRecord =
  | ({ k: 'run' } & FlowRunSummary)
  | ({ k: 'state'; id: string; seq: number; state: State; startTime?: number; endTime?: number; attempt?: number; owner?: ProcessIdentity } & RunFlowFacts)
  | { k: 'del'; id: string }
  /** The run created artifacts of these keys (added to the ones it had). */
  | { k: 'art'; id: string; keys: string[] }
  /** The run's new name (RunNameRecord). */
  | { k: 'name'; id: string; seq: number; name: string };
