/**
 * Creates an artifact for the run that is executing: checks it (throwing an ArtifactError that names
 * the artifact and what to change), then sends it to the host as a journal record, masked like a log line.
 */
import { ARTIFACT_LIMITS, artifactProblem, ArtifactError, keyProblem, type ArtifactData } from '../artifacts';
import { storage, type FlowRunScope } from './context';
import { emit, masker } from './hostLink';

/** Keys each flow run has used, to hold it to ARTIFACT_LIMITS.keysPerRun. */
const keysOf = new WeakMap<FlowRunScope, Set<string>>();

export function publishArtifact(fn: string, key: string, build: () => ArtifactData): void {
  const where = `${fn}('${typeof key === 'string' ? key.slice(0, 80) : String(key)}')`;
  const ctx = storage.getStore();
  if (!ctx) throw new Error(`${where} was called outside a flow or task run; call it from inside a flow`);
  // Prefect's create_*_artifact take keyword arguments; here the key comes first, on its own.
  if (key !== null && typeof key === 'object') throw new ArtifactError(`${fn} takes the key first, on its own — ${fn}('daily-report', …) — but was given one object; pass the key and the content as separate arguments`);
  const badKey = keyProblem(key);
  if (badKey) throw new ArtifactError(`${fn}: ${badKey}`);
  if (masker.mask(key) !== key) throw new ArtifactError(`${fn}: the key contains a secret; use a plain name`);
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
  emit({ k: 'artifact', runId: ctx.scope.id, ...(ctx.taskRunId !== undefined ? { taskRunId: ctx.taskRunId } : {}), key, ts: Date.now(), data });
}
