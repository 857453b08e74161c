/**
 * Checks the shape of records read back from disk. A line that parses as JSON but is not a record this
 * version understands is skipped and counted, like a torn one, instead of breaking every command.
 * Records written by Flowdeck 0.1.0 (other field names) are read as their current equivalents.
 */
import { ARTIFACT_KEY_PATTERN, ARTIFACT_LIMITS, artifactProblem, type ArtifactData } from './artifacts';
import type { CallIdentity, IndexRecord, ProcessIdentity, RunFlowFacts, RunRecord } from './records';
import { isLogLevel } from './logLevels';
import { flatten, isStoredForm } from './serializer';
import { checkDeclarations } from './parameters';
import { MAX_PAUSE_KEY } from './pauseInput';
import { isStateName, type Failure, type State } from './states';
import { tagsOf } from './runTags';
import type { PauseInfo } from './types';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optStr = (v: unknown): boolean => v === undefined || typeof v === 'string';
const optNum = (v: unknown): boolean => v === undefined || num(v);

function isState(v: unknown): v is State {
  return isObj(v) && isStateName(v.name) && num(v.timestamp) && optStr(v.message);
}

/** A failure as user code could have shaped it: strings only, bounded; anything else is dropped. */
function failureOf(v: unknown): Failure | undefined {
  if (!isObj(v) || !str(v.name) || !str(v.message)) return undefined;
  const f: Failure = { name: v.name.slice(0, 200), message: v.message.slice(0, 10_000) };
  if (str(v.stack)) f.stack = v.stack.slice(0, 20_000);
  if (Array.isArray(v.causes)) f.causes = v.causes.filter(str).slice(0, 10).map((c) => c.slice(0, 2000));
  const fr = v.frame;
  if (isObj(fr) && str(fr.file) && num(fr.line) && num(fr.column)) f.frame = { file: fr.file, line: fr.line, column: fr.column };
  return f;
}

function callOf(v: unknown): CallIdentity | undefined {
  if (!isObj(v) || !str(v.key) || !optStr(v.argsHash)) return undefined;
  return v.argsHash === undefined ? { key: v.key } : { key: v.key, argsHash: v.argsHash as string };
}

function isOwner(v: unknown): v is ProcessIdentity {
  return isObj(v) && num(v.pid) && str(v.hostname);
}

/** A run journal record, or undefined when the line is not one. `runId` fills in 0.1.0 records. */
export function asRunRecord(v: unknown, runId: string): RunRecord | undefined {
  if (!isObj(v) || !str(v.k)) return undefined;
  switch (v.k) {
    case 'run': {
      const id = str(v.runId) ? v.runId : v.id;
      if (!str(id) || !str(v.name) || !str(v.flowName) || !str(v.source) || !num(v.created) || !isOwner(v.owner)) return undefined;
      const parameters = isObj(v.parameters) ? v.parameters : {};
      const { call: rawCall, tags: rawTags, ...rest } = v;
      const call = callOf(rawCall);
      const tags = tagsOf(rawTags);
      return { ...(rest as object), k: 'run', runId: id, parameters, ...(call ? { call } : {}), ...(tags ? { tags } : {}) } as RunRecord;
    }
    case 'name':
      return str(v.name) && num(v.ts) ? { k: 'name', runId, name: v.name, ts: v.ts } : undefined;
    case 'flow':
      return num(v.ts) ? { k: 'flow', runId, ts: v.ts, ...flowFactsOf(v), ...(isObj(v.parameters) ? { parameters: v.parameters } : {}) } : undefined;
    case 'state': {
      // 0.1.0: { k: 'state', state: State }
      if (isState(v.state)) return { k: 'state', runId, name: v.state.name, ts: v.state.timestamp, ...(v.state.message !== undefined ? { message: v.state.message } : {}) };
      if (!isStateName(v.name) || !num(v.ts) || !optStr(v.message) || !optNum(v.attempt) || !optNum(v.deadline)) return undefined;
      return withFailure(withSubflowRunId(withPause({ ...(v as object), runId } as RunRecord & { failure?: unknown; pause?: unknown; subflowRunId?: unknown })));
    }
    case 'task': {
      const taskName = str(v.taskName) ? v.taskName : v.task;
      if (!str(v.id) || !str(v.name) || !str(taskName) || !num(v.ts) || !optStr(v.cacheKey)) return undefined;
      if (v.tags !== undefined && !(Array.isArray(v.tags) && v.tags.every(str))) return undefined;
      const r: RunRecord = { k: 'task', runId, id: v.id, name: v.name, taskName, ts: v.ts };
      if (v.cacheKey !== undefined) r.cacheKey = v.cacheKey as string;
      if (v.tags !== undefined) r.tags = v.tags as string[];
      const call = callOf(v.call);
      if (call) r.call = call;
      if (isObj(v.reusedFrom) && num(v.reusedFrom.attempt) && str(v.reusedFrom.taskRunId)) r.reusedFrom = { attempt: v.reusedFrom.attempt, taskRunId: v.reusedFrom.taskRunId };
      return r;
    }
    case 'trun': {
      if (!str(v.id) || !str(v.name) || !str(v.taskName) || !num(v.ts) || !num(v.start) || !num(v.end) || !isStateName(v.state)) return undefined;
      if (!optStr(v.message) || !optNum(v.attempt) || !optStr(v.cacheKey) || !optStr(v.note)) return undefined;
      if (v.tags !== undefined && !(Array.isArray(v.tags) && v.tags.every(str))) return undefined;
      if (v.value !== undefined && !isStoredForm(v.value)) return undefined;
      const r: RunRecord = { k: 'trun', runId, id: v.id, name: v.name, taskName: v.taskName, ts: v.ts, start: v.start, end: v.end, state: v.state };
      if (v.message !== undefined) r.message = v.message as string;
      if (v.attempt !== undefined) r.attempt = v.attempt as number;
      if (v.cacheKey !== undefined) r.cacheKey = v.cacheKey as string;
      if (v.tags !== undefined) r.tags = v.tags as string[];
      const call = callOf(v.call);
      if (call) r.call = call;
      if (isObj(v.reusedFrom) && num(v.reusedFrom.attempt) && str(v.reusedFrom.taskRunId)) r.reusedFrom = { attempt: v.reusedFrom.attempt, taskRunId: v.reusedFrom.taskRunId };
      if (v.value !== undefined) r.value = v.value;
      if (isObj(v.ref) && str(v.ref.file) && num(v.ref.bytes) && /^[A-Za-z0-9_.-]+$/.test(v.ref.file)) r.ref = { file: v.ref.file, bytes: v.ref.bytes };
      if (v.note !== undefined) r.note = v.note as string;
      return r;
    }
    case 'tstate': {
      if (!str(v.id) || !optNum(v.attempt)) return undefined;
      if (isState(v.state)) {
        const r: RunRecord = { k: 'tstate', runId, id: v.id, name: v.state.name, ts: v.state.timestamp };
        if (v.state.message !== undefined) r.message = v.state.message;
        if (v.attempt !== undefined) r.attempt = v.attempt as number;
        return r;
      }
      if (!isStateName(v.name) || !num(v.ts) || !optStr(v.message) || !optNum(v.deadline)) return undefined;
      return withFailure({ ...(v as object), runId } as RunRecord & { failure?: unknown });
    }
    case 'log': {
      const message = str(v.message) ? v.message : v.msg;
      const taskRunId = v.taskRunId ?? v.task;
      if (!num(v.ts) || !isLogLevel(v.level) || !str(v.source) || !str(message) || !optStr(taskRunId)) return undefined;
      const r: RunRecord = { k: 'log', runId, ts: v.ts, level: v.level, source: v.source, message };
      if (taskRunId !== undefined) r.taskRunId = taskRunId as string;
      return r;
    }
    case 'input':
      return isPauseKey(v.key) && num(v.ts) && isObj(v.value) ? { k: 'input', runId, key: v.key, ts: v.ts, value: v.value, ...(v.timedOut === true ? { timedOut: true as const } : {}) } : undefined;
    case 'artifact': {
      if (!str(v.key) || !ARTIFACT_KEY_PATTERN.test(v.key) || !num(v.ts) || !optStr(v.taskRunId) || artifactProblem(v.data) !== undefined) return undefined;
      const r: RunRecord = { k: 'artifact', runId, key: v.key, ts: v.ts, data: v.data as ArtifactData };
      if (v.taskRunId !== undefined) r.taskRunId = v.taskRunId as string;
      return r;
    }
    case 'result':
    case 'tresult': {
      const taskRunId = v.k === 'tresult' ? v.id : v.taskRunId;
      if (!optStr(taskRunId) || !optStr(v.note)) return undefined;
      const r: RunRecord = { k: 'result', runId };
      if (taskRunId !== undefined) r.taskRunId = taskRunId as string;
      if (v.ref !== undefined) {
        if (!isObj(v.ref) || !str(v.ref.file) || !num(v.ref.bytes) || !/^[A-Za-z0-9_.-]+$/.test(v.ref.file)) return undefined;
        r.ref = { file: v.ref.file, bytes: v.ref.bytes };
      }
      if (v.note !== undefined) r.note = v.note as string;
      if (v.value !== undefined) {
        // 0.1.0 stored plain JSON (and no runId); today's records hold the serializer's flattened form.
        if (!str(v.runId)) r.value = flatten(v.value);
        else if (isStoredForm(v.value)) r.value = v.value;
        else return undefined;
      }
      return r;
    }
    default:
      return undefined;
  }
}

/**
 * What a paused run waits for, as read back: a time and a declaration the engine accepts (checkDeclarations:
 * the CLI and the editor ask by it and check the input with it), or nothing.
 */
function pauseOf(v: unknown): PauseInfo | undefined {
  if (!isObj(v) || !num(v.until) || (v.key !== undefined && !isPauseKey(v.key))) return undefined;
  const key = v.key === undefined ? {} : { key: v.key as string };
  if (v.input === undefined) return { until: v.until, ...key };
  try {
    const input = checkDeclarations('', v.input, { owner: 'a paused run', noun: 'input' });
    return input === undefined ? { until: v.until, ...key } : { until: v.until, input, ...key };
  } catch {
    return undefined;
  }
}

/** A pause's key as read back: a short line (pauseFlowRun checks it as it is given). */
function isPauseKey(v: unknown): v is string {
  return str(v) && v.length > 0 && v.length <= MAX_PAUSE_KEY && !/[\u0000-\u001f\u007f]/.test(v);
}

/** A state as read back, its pause checked (and dropped when it is not one). */
function withPause<T extends { pause?: unknown }>(s: T): T {
  if (s.pause === undefined) return s;
  const { pause: raw, ...rest } = s;
  const pause = pauseOf(raw);
  return (pause ? { ...rest, pause } : rest) as T;
}

/** A state as read back, the subflow run that failed it an id (dropped when it is not one). */
function withSubflowRunId<T extends { subflowRunId?: unknown }>(s: T): T {
  if (s.subflowRunId === undefined || (str(s.subflowRunId) && s.subflowRunId.length > 0 && s.subflowRunId.length <= 200)) return s;
  const { subflowRunId: _raw, ...rest } = s;
  return rest as T;
}

function withFailure(r: RunRecord & { failure?: unknown }): RunRecord {
  if (r.failure === undefined) return r;
  const failure = failureOf(r.failure);
  const { failure: _raw, ...rest } = r;
  return (failure ? { ...rest, failure } : rest) as RunRecord;
}

/** An index record, or undefined when the line is not one. */
export function asIndexRecord(v: unknown): IndexRecord | undefined {
  if (!isObj(v) || !str(v.k) || !str(v.id)) return undefined;
  switch (v.k) {
    case 'run': {
      if (!str(v.name) || !str(v.flowName) || !str(v.source) || !num(v.created) || !isOwner(v.owner) || !isState(v.state)) return undefined;
      if (!optStr(v.parentRunId) || !optStr(v.parentTaskRunId) || !optNum(v.startTime) || !optNum(v.endTime)) return undefined;
      // 0.1.0 kept parameters in the index; they live in the run's file.
      const { parameters: _parameters, artifactKeys: rawKeys, tags: rawTags, ...rest } = v;
      const keys = artifactKeys(rawKeys);
      const tags = tagsOf(rawTags);
      return { ...rest, attempt: num(v.attempt) ? v.attempt : 1, seq: num(v.seq) ? v.seq : 0, ...(keys ? { artifactKeys: keys } : {}), ...(tags ? { tags } : {}) } as IndexRecord;
    }
    case 'state': {
      if (!isState(v.state) || !optNum(v.seq) || !optNum(v.startTime) || !optNum(v.endTime) || !optNum(v.attempt)) return undefined;
      if (v.owner !== undefined && !isOwner(v.owner)) return undefined;
      const { resumeOnCrash: _r, tags: _t, ...rest } = v;
      return { ...rest, state: withSubflowRunId(withPause(v.state)), ...flowFactsOf(v) } as IndexRecord;
    }
    case 'del':
      return { k: 'del', id: v.id };
    case 'art': {
      const keys = artifactKeys(v.keys);
      return keys ? { k: 'art', id: v.id, keys } : undefined;
    }
    case 'name':
      return str(v.name) && num(v.seq) ? { k: 'name', id: v.id, seq: v.seq, name: v.name } : undefined;
    default:
      return undefined;
  }
}

/** A RunFlowRecord's facts as read back: `resumeOnCrash` only when true, tags only when they are tags. */
function flowFactsOf(v: Record<string, unknown>): RunFlowFacts {
  const tags = tagsOf(v.tags);
  return { ...(v.resumeOnCrash === true ? { resumeOnCrash: true } : {}), ...(tags ? { tags } : {}) };
}

function artifactKeys(v: unknown): string[] | undefined {
  if (!Array.isArray(v) || v.length > ARTIFACT_LIMITS.keysPerRun || !v.every((k) => str(k) && ARTIFACT_KEY_PATTERN.test(k))) return undefined;
  return v as string[];
}
