/**
 * The one reducer from journal records to run state. The runner folds records as they happen; the store
 * folds a run's file when it is read back; both get the same answer because both call `applyRecord`.
 */
import type { FlowRunDetail, FlowRunSummary, RunCreatedRecord, RunRecord, TaskRunCompact, TaskRunRecord } from './records';
import { isSettled, isTerminal, leftUnfinishedBy, state, stateType, type Failure, type State, type StateName } from './states';
import type { PauseInfo } from './types';

export interface RunFold {
  detail: FlowRunDetail;
  /** Task runs by id, for the records that change them. */
  tasks: Map<string, TaskRunRecord>;
}

/** What applying a record changed, so a live view knows what to redraw. */
export type Change = 'run' | 'task' | 'log' | 'result' | 'artifact' | 'none';

export function startFold(created: RunCreatedRecord, seq = 0): RunFold {
  const pending = state('Pending', undefined, created.created);
  const detail: FlowRunDetail = {
    id: created.runId,
    name: created.name,
    flowName: created.flowName,
    source: created.source,
    parameters: created.parameters,
    state: pending,
    created: created.created,
    owner: created.owner,
    attempt: created.attempt ?? 1,
    seq,
    states: [pending],
    taskRuns: [],
    skippedRecords: 0,
  };
  if (created.parentRunId !== undefined) detail.parentRunId = created.parentRunId;
  if (created.parentTaskRunId !== undefined) detail.parentTaskRunId = created.parentTaskRunId;
  if (created.trigger !== undefined) detail.trigger = created.trigger;
  if (created.resumeOnCrash) detail.resumeOnCrash = true;
  if (created.call !== undefined) detail.call = created.call;
  if (created.sourceHash !== undefined) detail.sourceHash = created.sourceHash;
  if (created.refreshCache) detail.refreshCache = true;
  if (typeof created.idempotencyKey === 'string') detail.idempotencyKey = created.idempotencyKey;
  if (created.tags !== undefined) detail.tags = created.tags;
  return { detail, tasks: new Map() };
}

function stateOf(r: { name: StateName; ts: number; message?: string; failure?: Failure; pause?: PauseInfo; subflowRunId?: string }): State {
  const s = state(r.name, r.message, r.ts, r.failure);
  // What a paused run waits for is part of its Paused state (as Prefect's state details).
  if (s.type === 'PAUSED' && r.pause !== undefined) s.pause = r.pause;
  // So is the subflow run whose end failed it.
  if (s.type === 'FAILED' && r.subflowRunId !== undefined) s.subflowRunId = r.subflowRunId;
  return s;
}

/** Folds one record into the run. Records of other runs, and unknown task runs, change nothing. */
export function applyRecord(fold: RunFold, r: RunRecord): Change {
  const d = fold.detail;
  switch (r.k) {
    case 'state': {
      // A final state is final; only a new attempt (resume) starts the run again. A suspended run waits for
      // one, or ends (its time ran out, it was cancelled) as a run that ended.
      if (isSettled(d.state) && r.name !== 'AwaitingRetry' && (isTerminal(d.state.type) || !isTerminal(stateType(r.name)))) return 'none';
      const s = stateOf(r);
      if (s.type === 'SCHEDULED' && d.states.length === 1 && d.state.name === 'Pending' && d.state.timestamp === d.created && s.timestamp === d.created) {
        // A run created ahead of time (a schedule's slot) starts Scheduled, not Pending.
        d.states[0] = s;
        d.state = s;
        return 'run';
      }
      d.states.push(s);
      d.state = s;
      if (r.attempt !== undefined) d.attempt = r.attempt;
      if (s.type === 'RUNNING') d.startTime ??= s.timestamp;
      if (isSettled(s)) {
        d.endTime = s.timestamp;
        settleTasks(fold, s);
      } else if (s.type === 'SCHEDULED' || s.type === 'PENDING') {
        // A new attempt of a finished run (resume) is no longer finished.
        delete d.endTime;
      }
      return 'run';
    }
    case 'task': {
      if (fold.tasks.has(r.id)) return 'none';
      addTaskRun(fold, r, r.ts);
      return 'task';
    }
    case 'trun': {
      const t = fold.tasks.get(r.id) ?? addTaskRun(fold, r, r.ts);
      t.state = state(r.state, r.message, r.end);
      t.attempts = r.attempt ?? 1;
      t.startTime ??= r.start;
      t.endTime = r.end;
      if (r.value !== undefined) t.result = { dv: r.value };
      if (r.ref !== undefined) t.resultRef = r.ref;
      return 'task';
    }
    case 'tstate': {
      const t = fold.tasks.get(r.id);
      if (!t) return 'none';
      const s = stateOf(r);
      addSlotWait(t, s.timestamp);
      t.state = s;
      if (s.type === 'RUNNING') {
        t.attempts = r.attempt ?? t.attempts + 1;
        t.startTime ??= s.timestamp;
      }
      if (isTerminal(s.type)) t.endTime = s.timestamp;
      return 'task';
    }
    case 'result': {
      const target = r.taskRunId === undefined ? d : fold.tasks.get(r.taskRunId);
      if (!target) return 'none';
      if (target === d) {
        // A flow run's result of a later attempt (a completed subflow run whose result was not kept, run again)
        // stands in for the one before, whatever form each took.
        delete d.result;
        delete d.resultRef;
        delete d.resultNote;
      }
      if (r.value !== undefined) target.result = { dv: r.value };
      if (r.ref !== undefined) target.resultRef = r.ref;
      if (r.note !== undefined && target === d) d.resultNote = r.note;
      return 'result';
    }
    case 'log':
      return 'log';
    case 'artifact': {
      const { k: _k, ...artifact } = r;
      const list = (d.artifacts ??= []);
      const at = list.findIndex((a) => a.key === r.key);
      if (at === -1) list.push(artifact);
      else list[at] = artifact;
      return 'artifact';
    }
    case 'name':
      d.name = r.name;
      return 'run';
    case 'flow':
      if (r.resumeOnCrash) d.resumeOnCrash = true;
      if (r.tags !== undefined) d.tags = r.tags;
      if (r.parameters !== undefined) d.parameters = r.parameters;
      return 'run';
    case 'input':
      // The run's state says it goes on (Running, from its worker); this keeps what it went on with.
      // (Or that its wait ran out and the flow went on: the latest record of a key says which.)
      (d.inputs ??= {})[r.key] = { value: r.value, attempt: d.attempt, ts: r.ts, ...(r.timedOut ? { timedOut: true } : {}) };
      return 'none';
    case 'run':
      return 'none';
  }
}

/**
 * The task run a record changes, if any: what `applyRecord` folds into one task run alone. A task run's
 * fold depends only on these records and on the flow run's own (its attempt, a final state settling it),
 * never on another task run's — so a journal folds to the same task run with other task runs' records
 * left out (runTaskStream.ts reads a huge run that way).
 */
export function taskRunOf(r: RunRecord): string | undefined {
  switch (r.k) {
    case 'task':
    case 'trun':
    case 'tstate':
      return r.id;
    case 'result':
      return r.taskRunId;
    default:
      return undefined;
  }
}

/** A task run leaving AwaitingConcurrencySlot: the wait counts. */
function addSlotWait(t: TaskRunRecord, until: number): void {
  if (t.state.name === 'AwaitingConcurrencySlot') t.slotWaitMs = (t.slotWaitMs ?? 0) + Math.max(0, until - t.state.timestamp);
}

/** A task run's first record (its start, or its whole life in one `trun` line) adds it, Pending, to the run. */
function addTaskRun(fold: RunFold, r: Pick<TaskRunCompact, 'id' | 'name' | 'taskName' | 'cacheKey' | 'tags' | 'call' | 'reusedFrom'>, ts: number): TaskRunRecord {
  const d = fold.detail;
  const t: TaskRunRecord = { id: r.id, flowRunId: d.id, name: r.name, taskName: r.taskName, state: state('Pending', undefined, ts), attempts: 0, flowAttempt: d.attempt };
  if (r.cacheKey !== undefined) t.cacheKey = r.cacheKey;
  if (r.tags !== undefined) t.tags = r.tags;
  if (r.call !== undefined) t.call = r.call;
  if (r.reusedFrom !== undefined) t.reusedFrom = r.reusedFrom;
  fold.tasks.set(r.id, t);
  d.taskRuns.push(t);
  return t;
}

/** Task runs a finished flow run left unfinished end with it. */
function settleTasks(fold: RunFold, end: State): void {
  const name = leftUnfinishedBy(end);
  for (const t of fold.tasks.values()) {
    if (isTerminal(t.state.type)) continue;
    addSlotWait(t, end.timestamp);
    t.state = state(name, `flow run ended in state ${end.name}`, end.timestamp);
    t.endTime = end.timestamp;
  }
}

/**
 * The index is authoritative for a run's latest state (a crash mark may be written only there, when the
 * run's file could not be): a newer state from the index is appended to the folded history.
 */
export function mergeIndexState(fold: RunFold, summary: FlowRunSummary): void {
  const d = fold.detail;
  const last = d.states[d.states.length - 1];
  if (!last || summary.state.timestamp > last.timestamp || (summary.state.timestamp === last.timestamp && summary.state.name !== last.name && isTerminal(summary.state.type) && !isTerminal(last.type))) {
    applyRecord(fold, { k: 'state', runId: d.id, name: summary.state.name, ts: summary.state.timestamp, message: summary.state.message, ...(summary.state.pause ? { pause: summary.state.pause } : {}), ...(summary.state.subflowRunId !== undefined ? { subflowRunId: summary.state.subflowRunId } : {}) });
  }
  d.seq = summary.seq;
  d.owner = summary.owner;
  // Only the index knows it (a column of the run's row): no journal record says which queue.
  if (summary.queue !== undefined) d.queue = summary.queue;
}

/** The summary part of a detail: what the index keeps. */
export function summaryOf(d: FlowRunDetail): FlowRunSummary {
  const s: FlowRunSummary = {
    id: d.id,
    name: d.name,
    flowName: d.flowName,
    source: d.source,
    state: d.state,
    created: d.created,
    owner: d.owner,
    attempt: d.attempt,
    seq: d.seq,
  };
  if (d.startTime !== undefined) s.startTime = d.startTime;
  if (d.endTime !== undefined) s.endTime = d.endTime;
  if (d.parentRunId !== undefined) s.parentRunId = d.parentRunId;
  if (d.parentTaskRunId !== undefined) s.parentTaskRunId = d.parentTaskRunId;
  if (d.trigger !== undefined) s.trigger = d.trigger;
  if (d.resumeOnCrash) s.resumeOnCrash = true;
  if (d.tags !== undefined) s.tags = d.tags;
  if (d.queue !== undefined) s.queue = d.queue;
  return s;
}

/**
 * A stored journal folded record by record into its run's detail — the store's side of the reducer, for
 * every backend: records before the creation record are skipped and counted, the index's latest state is
 * merged in, and a run without a journal says so.
 */
export class JournalReplay {
  private fold?: RunFold;
  skipped = 0;

  constructor(private readonly summary: FlowRunSummary) {}

  /** The fold so far; undefined until the creation record. */
  get current(): RunFold | undefined {
    return this.fold;
  }

  add(r: RunRecord): void {
    if (this.fold) applyRecord(this.fold, r);
    else if (r.k === 'run') this.fold = startFold(r);
    else this.skipped++;
  }

  detail(): FlowRunDetail {
    const s = this.summary;
    let fold = this.fold;
    if (!fold) {
      fold = startFold({ k: 'run', runId: s.id, name: s.name, flowName: s.flowName, source: s.source, parameters: {}, created: s.created, owner: s.owner });
      fold.detail.missingJournal = true;
    }
    mergeIndexState(fold, s);
    fold.detail.skippedRecords += this.skipped;
    return fold.detail;
  }
}
