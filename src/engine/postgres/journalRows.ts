/** Journal rows as stored: each the very line a worker sent, read back through the record shape check. */
import { asRunRecordWithoutArtifactData } from '../artifactInfo';
import type { RunRecord } from '../records';
import { asRunRecord } from '../recordShape';

/** Rows read per query when a journal is scanned. */
export const READ_BATCH = 5000;

/** A stored line as a record; undefined for a line that does not parse or has the wrong shape (counted as skipped). */
export function lineRecord(line: string, runId: string): RunRecord | undefined {
  try {
    return asRunRecord(JSON.parse(line), runId);
  } catch {
    return undefined;
  }
}

/** As `lineRecord`, for an artifact's line or its head (artifactHead.ts): the artifact without its data. */
export function lineRecordWithoutArtifactData(line: string, runId: string): RunRecord | undefined {
  try {
    return asRunRecordWithoutArtifactData(JSON.parse(line), runId);
  } catch {
    return undefined;
  }
}
