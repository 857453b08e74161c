/** The JSON shape `flowdeck run --json` and `flowdeck runs --json` print for a run. */
import type { FlowRunDetail, ResultRef, RunTrigger, StoredValue, TaskRunRecord } from '../engine/records';
import type { RunStore } from '../engine/runStore';
import { storedJsonView, textJsonView } from '../engine/serializer';
import type { Failure, State } from '../engine/states';
import type { ParameterDeclarations } from '../engine/types';

export interface RunJson {
  id: string;
  name: string;
  flowName: string;
  /** A subflow run's: the id of the flow run that called it. Absent for a flow run of its own. */
  parentRunId?: string;
  /** Absent when its journal is gone (`journalMissing`): they are not known, not empty. */
  parameters?: Record<string, unknown>;
  /** Set when the run is listed but its journal is gone: its parameters, task runs and result are lost. */
  journalMissing?: true;
  state: StateJson;
  startTime: string | null;
  endTime: string | null;
  trigger?: TriggerJson;
  /** Started with `--refresh-cache`: its tasks ignored cached results and replaced them. */
  refreshCache?: true;
  /** The key `flowdeck run --idempotency-key` started it with. */
  idempotencyKey?: string;
  /** Its tags: its flow's own, those it was started with (`--tag`), a subflow run's parent's. */
  tags?: string[];
  /** The queue it was handed to (`run --queue`, `resume --queue`), as `run --queue --json` prints it; absent for a run not queued. */
  queue?: string;
  result: unknown;
  /** Set when the result is stored out of line and was not loaded (`runs --json`): its size. */
  resultBytes?: number;
  /** Set when the result was not kept, saying why. */
  resultNote?: string;
  taskRuns: TaskRunJson[];
  /** The run's attempt: 1, or more once it was retried or resumed. */
  attempt: number;
  /**
   * `run --json` of a run this host stopped when it lost its lease on the store (Postgres): the end it came
   * to here could not be recorded, and the run is printed as the store holds it (Running until the lease
   * lapses, then Crashed, or its resume), not with that end.
   */
  endNotRecorded?: true;
  /** The input each of its pauses was resumed with (pauseFlowRun), by the pause's key; absent when none was. */
  inputs?: Record<string, { value: Record<string, unknown>; attempt: number; time: string; timedOut?: true }>;
}

/**
 * A state; a Failed one whose cause is an error the flow's code threw also says what it was and where:
 * `failure.frame` is the first frame in the flow's own code (file, 1-based line and column), for a CI
 * step to point at the line.
 */
export interface StateJson {
  type: State['type'];
  name: State['name'];
  message?: string;
  failure?: Failure;
  /** A Paused state (pauseFlowRun): until when the run waits, and the input it waits for (declared as parameters are). */
  pause?: { until: string; input: ParameterDeclarations | null; key: string | null };
  /** A flow run failed by a subflow run it awaited, which did not complete: that subflow run's id. */
  subflowRunId?: string;
}

/**
 * What started a run. A schedule's slot is kept as the store keeps it, epoch milliseconds (`slot`: what
 * consumers have always read), and given as ISO 8601 text too (`slotTime`), as every other time is.
 */
export type TriggerJson = Exclude<RunTrigger, { kind: 'schedule' }> | { kind: 'schedule'; id: string; slot: number; slotTime: string };

export interface TaskRunJson {
  id: string;
  name: string;
  state: StateJson;
  attempts: number;
  startTime: string | null;
  endTime: string | null;
  /** The flow run's attempt the task run's work comes from (an earlier one when it was reused). */
  attempt: number;
  /** Time spent waiting for a slot of a tag's concurrency limit (AwaitingConcurrencySlot). */
  slotWaitMs: number;
}

/** The last two times made text: a big map's task runs, printed start then end, share their milliseconds. */
const recent: [number, string][] = [
  [Number.NaN, ''],
  [Number.NaN, ''],
];
let older = 0;

/** A time as ISO text. */
export function isoTime(ts: number | undefined): string | null {
  if (ts === undefined) return null;
  if (recent[0]![0] === ts) return recent[0]![1];
  if (recent[1]![0] === ts) return recent[1]![1];
  const text = new Date(ts).toISOString();
  recent[older] = [ts, text];
  older = 1 - older;
  return text;
}

/**
 * A state as every `--json` output gives it (a run's, a task run's, `cancel`'s, `resume`'s, `delete`'s,
 * `prune`'s): its times ISO 8601, and not the store's epoch-millisecond `timestamp`.
 */
export function stateJson(s: State): StateJson {
  const json: StateJson = s.message === undefined ? { type: s.type, name: s.name } : { type: s.type, name: s.name, message: s.message };
  if (s.failure !== undefined) json.failure = s.failure;
  if (s.pause !== undefined) json.pause = { until: isoTime(s.pause.until)!, input: s.pause.input ?? null, key: s.pause.key ?? null };
  if (s.subflowRunId !== undefined) json.subflowRunId = s.subflowRunId;
  return json;
}

export function triggerJson(t: RunTrigger): TriggerJson {
  return t.kind === 'schedule' ? { kind: 'schedule', id: t.id, slot: t.slot, slotTime: isoTime(t.slot)! } : t;
}

/** The JSON view of a stored result; one stored out of line is read only when `loadFiles`. */
export async function resultJson(store: RunStore, runId: string, stored: StoredValue | undefined, ref: ResultRef | undefined, loadFiles: boolean): Promise<unknown> {
  if (stored) return storedJsonView(stored.dv);
  if (ref && loadFiles) return textJsonView(await store.readResultText(runId, ref));
  return null;
}

export function taskRunJson(t: TaskRunRecord): TaskRunJson {
  return {
    id: t.id,
    name: t.name,
    state: stateJson(t.state),
    attempts: t.attempts,
    startTime: isoTime(t.startTime),
    endTime: isoTime(t.endTime),
    attempt: t.reusedFrom?.attempt ?? t.flowAttempt,
    slotWaitMs: t.slotWaitMs ?? 0,
  };
}

/** Prints no artifact: a run read without their data will do. */
export async function runJson(run: Omit<FlowRunDetail, 'artifacts'>, store: RunStore, options: { loadResultFiles: boolean }): Promise<RunJson> {
  const out: RunJson = {
    id: run.id,
    name: run.name,
    flowName: run.flowName,
    ...(run.missingJournal ? { journalMissing: true as const } : { parameters: run.parameters }),
    state: stateJson(run.state),
    startTime: isoTime(run.startTime),
    endTime: isoTime(run.endTime),
    result: await resultJson(store, run.id, run.result, run.resultRef, options.loadResultFiles),
    taskRuns: run.taskRuns.map(taskRunJson),
    attempt: run.attempt,
  };
  if (run.parentRunId !== undefined) out.parentRunId = run.parentRunId;
  if (run.trigger) out.trigger = triggerJson(run.trigger);
  if (run.refreshCache) out.refreshCache = true;
  if (run.idempotencyKey !== undefined) out.idempotencyKey = run.idempotencyKey;
  if (run.tags !== undefined) out.tags = run.tags;
  if (run.queue !== undefined) out.queue = run.queue;
  if (run.resultRef && !options.loadResultFiles) out.resultBytes = run.resultRef.bytes;
  if (run.resultNote) out.resultNote = run.resultNote;
  if (run.inputs) out.inputs = Object.fromEntries(Object.entries(run.inputs).map(([key, given]) => [key, { value: given.value, attempt: given.attempt, time: isoTime(given.ts)!, ...(given.timedOut ? { timedOut: true as const } : {}) }]));
  return out;
}
