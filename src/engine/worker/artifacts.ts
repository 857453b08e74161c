/**
 * Creates an artifact for the run that is executing: checks it (throwing an ArtifactError that names
 * the artifact and what to change), then sends it to the host as a journal record, masked like a log line.
 * Progress is written at most every PROGRESS_INTERVAL_MS per key (the latest), and always before its
 * flow run ends (flushProgress): a loop may report every item without filling the journal.
 */
import { ARTIFACT_LIMITS, artifactProblem, ArtifactError, keyProblem, type ArtifactData } from '../artifacts';
import type { ArtifactRecord } from '../records';
import { storage, type FlowRunScope } from './context';
import { emit, masker } from './hostLink';

/** Keys each flow run has used, to hold it to ARTIFACT_LIMITS.keysPerRun. */
const keysOf = new WeakMap<FlowRunScope, Set<string>>();

/** A resumed run's keys of earlier attempts (in its journal still): they count towards its limit as its own. */
export function noteEarlierArtifactKeys(scope: FlowRunScope, keys: readonly string[] | undefined): void {
  if (!keys || keys.length === 0) return;
  let known = keysOf.get(scope);
  if (!known) keysOf.set(scope, (known = new Set()));
  for (const k of keys) known.add(k);
}

export function publishArtifact(fn: string, key: string, build: () => ArtifactData): void {
  const where = `${fn}('${typeof key === 'string' ? masker.maskedHead(key, 80) : String(key)}')`;
  const ctx = storage.getStore();
  if (!ctx) throw new Error(`${where} was called outside a flow or task run; call it from inside a flow`);
  // Prefect's create_*_artifact take keyword arguments; here the key comes first, on its own.
  if (key !== null && typeof key === 'object') throw new ArtifactError(`${fn} takes the key first, on its own — ${fn}('daily-report', …) — but was given one object; pass the key and the content as separate arguments`);
  // The secret first: keyProblem quotes the key, cut short, and a cut secret is not found by masking.
  if (typeof key === 'string' && masker.mask(key) !== key) throw new ArtifactError(`${fn}: the key contains a secret; use a plain name`);
  const badKey = keyProblem(key);
  if (badKey) throw new ArtifactError(`${fn}: ${badKey}`);
  let keys = keysOf.get(ctx.scope);
  if (!keys) keysOf.set(ctx.scope, (keys = new Set()));
  if (!keys.has(key) && keys.size >= ARTIFACT_LIMITS.keysPerRun) throw new ArtifactError(`${where}: a run may create artifacts of at most ${ARTIFACT_LIMITS.keysPerRun} keys; reuse a key to replace its artifact`);
  let data: ArtifactData;
  try {
    data = build();
  } catch (e) {
    if (e instanceof ArtifactError) throw new ArtifactError(`${where}: ${e.message}`);
    throw e;
  }
  const problem = artifactProblem(data);
  if (problem) throw new ArtifactError(`${where}: ${problem}`);
  keys.add(key);
  // A task run is created in the journal before anything it records.
  ctx.journal?.materialize();
  const record: ArtifactRecord = { k: 'artifact', runId: ctx.scope.id, ...(ctx.taskRunId !== undefined ? { taskRunId: ctx.taskRunId } : {}), key, ts: Date.now(), data };
  if (data.kind === 'progress') progressUpdate(ctx.scope, key, record);
  else emit(record);
}

/** Progress updates of one key closer than this are written once: the latest. */
export const PROGRESS_INTERVAL_MS = 250;

interface ProgressKey {
  /** When this key's progress was last written. */
  last: number;
  /** The latest update not written yet. */
  pending?: ArtifactRecord;
  timer?: NodeJS.Timeout;
}

const progressOf = new WeakMap<FlowRunScope, Map<string, ProgressKey>>();

function progressUpdate(scope: FlowRunScope, key: string, record: ArtifactRecord): void {
  let keys = progressOf.get(scope);
  if (!keys) progressOf.set(scope, (keys = new Map()));
  const now = Date.now();
  const p = keys.get(key);
  if (!p) {
    keys.set(key, { last: now });
    emit(record);
    return;
  }
  if (p.timer === undefined && now - p.last >= PROGRESS_INTERVAL_MS) {
    p.last = now;
    emit(record);
    return;
  }
  p.pending = record;
  if (p.timer === undefined) {
    p.timer = setTimeout(() => {
      p.timer = undefined;
      writePending(p);
    }, Math.max(0, PROGRESS_INTERVAL_MS - (now - p.last)));
    // The run's end writes what is pending (flushProgress): the timer keeps no worker alive.
    p.timer.unref();
  }
}

function writePending(p: ProgressKey): void {
  if (!p.pending) return;
  const record = p.pending;
  p.pending = undefined;
  p.last = Date.now();
  emit(record);
}

/** Writes the flow run's pending progress updates now: called before its final state. */
export function flushProgress(scope: FlowRunScope): void {
  const keys = progressOf.get(scope);
  if (!keys) return;
  for (const p of keys.values()) {
    if (p.timer !== undefined) clearTimeout(p.timer);
    p.timer = undefined;
    writePending(p);
  }
}
