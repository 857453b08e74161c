/**
 * Artifacts read without their data, for readers that print none of it (`flowdeck runs --json`, `inspect`,
 * the task runs of `logs`): a table or chart is up to 1 MiB of journal line and several times that once
 * parsed, and a run may have 100 of them — read with their data, `runs --json --limit 3` on such a run took
 * over 500 MB for 1 KB of output (WithoutArtifactData, runTaskStream.ts).
 *
 * The reducer keeps the latest artifact of each key without looking at its data, so a record read this way
 * folds as the whole one would, and the run's `artifacts` come out as ArtifactInfo.
 */
import { ARTIFACT_KEY_PATTERN, type Artifact, type ArtifactKind } from './artifacts';
import type { RunRecord } from './records';
import { asRunRecord } from './recordShape';

/** An artifact without its data: its key, kind, the task run that created it, when. */
export type ArtifactInfo = Omit<Artifact, 'data'> & { kind: ArtifactKind };

const KINDS: Record<ArtifactKind, true> = { markdown: true, table: true, link: true, chart: true, progress: true };

/**
 * A run journal record, as `asRunRecord` gives it, except an artifact's: without its data. Takes the whole
 * line (checked as `asRunRecord` checks it) or, on Postgres, its head (postgres/artifactHead.ts: data of its
 * kind alone, the rest checked). The data unread is unchecked: one `artifactProblem` would refuse (never a
 * worker's: it checks before writing) is still named.
 */
export function asRunRecordWithoutArtifactData(v: unknown, runId: string): RunRecord | undefined {
  if (isHead(v)) {
    const { key, ts, taskRunId } = v;
    const kind = (v.data as { kind: unknown }).kind;
    if (typeof key !== 'string' || !ARTIFACT_KEY_PATTERN.test(key) || typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
    if ((taskRunId !== undefined && typeof taskRunId !== 'string') || typeof kind !== 'string' || !Object.hasOwn(KINDS, kind)) return undefined;
    return infoRecord({ key, runId, ...(taskRunId !== undefined ? { taskRunId: taskRunId as string } : {}), ts, kind: kind as ArtifactKind });
  }
  const r = asRunRecord(v, runId);
  if (r?.k !== 'artifact') return r;
  const { k: _k, data, ...rest } = r;
  return infoRecord({ ...rest, kind: data.kind });
}

function isHead(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const { k, data } = v as Record<string, unknown>;
  return k === 'artifact' && data !== null && typeof data === 'object' && Object.keys(data).length === 1;
}

/** Read back only through RunParts<ArtifactInfo> (the reducer passes the record's fields on as they are). */
function infoRecord(info: ArtifactInfo): RunRecord {
  return { k: 'artifact', ...info } as unknown as RunRecord;
}
