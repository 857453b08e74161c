/** Journal rows as stored: each the very line a worker sent, read back through the record shape check. */
import { asRunRecordWithoutArtifactData } from '../artifactInfo';
import type { RunRecord } from '../records';
import { asRunRecord } from '../recordShape';

/** Rows read per query when a journal is scanned. */
export const READ_BATCH = 5000;

/**
 * Bytes of lines read per query (and held) when a journal is scanned, as stored (octet_length): READ_BATCH
 * lines of task runs' values (inline up to 256 KB each) were up to 1.3 GB in one query. A longer line is read
 * alone. The same bound holds for the small journals `runs --json` reads together (readManyRunParts), where
 * 20,000 such lines were gigabytes: a journal larger is read a batch at a time, as any other.
 */
export const READ_BYTES = 4 * 1024 * 1024;

/** A journal row as `withinBytes` reads it: `batch`, how many rows its query's batch had before the cut. */
export interface BatchRow {
  seq: string;
  line: string;
  batch: string;
}

/**
 * The rows of `batch` (a query of `seq` and `line` in seq order, limited to so many rows) up to `bytes` of
 * lines (a parameter, `$n`), one row at least: the cut made where the database knows the lines' sizes
 * without sending them (octet_length of a stored value is read from its header).
 */
export function withinBytes(batch: string, bytes: string): string {
  return `select seq, line, batch from (
      select seq, line, count(*) over () as batch, row_number() over w as n, sum(octet_length(line)) over w as upto from (${batch}) b window w as (order by seq)
    ) c where n = 1 or upto <= ${bytes} order by seq`;
}

/** Whether a journal may go on after `rows`, read by `withinBytes` from a batch of at most `limit` rows: cut by their bytes, or a full batch. */
export function goesOn(rows: readonly BatchRow[], limit: number): boolean {
  return rows.length > 0 && (rows.length < Number(rows[0]!.batch) || rows.length >= limit);
}

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
