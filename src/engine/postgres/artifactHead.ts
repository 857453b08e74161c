/**
 * An artifact's head: its journal line without its data but the data's kind
 * (`{"k":"artifact","runId":…,"key":…,"ts":…,"data":{"kind":"table"}}`), kept in the journal row's
 * `artifact_head` column beside the whole line. Readers that print no artifact's data (`flowdeck runs --json`,
 * `inspect`, the task runs of `logs`: artifactInfo.ts) select it instead of the line, so the data (up to
 * 1 MiB a table) never leaves the database — whatever the line's layout: its keys in any order, any
 * character in its strings.
 *
 * Written with the line (pgRunHandle.ts); migration 11 wrote it for the rows already there. Null for every
 * other record, and for a line that is no artifact of a kind once parsed: such a line is read whole, and
 * checked as any other.
 */

/** The head of a journal line whose kind (as the row stores it) is `kind`; null when the line has none. */
export function artifactHead(line: string, kind: string): string | null {
  // The kind is read from the line's start (`{"k":"artifact"`): an artifact laid out otherwise is `unknown`.
  if (kind !== 'artifact' && kind !== 'unknown') return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const record = v as Record<string, unknown>;
  const data = record.data as Record<string, unknown> | null | undefined;
  if (record.k !== 'artifact' || data === null || typeof data !== 'object' || Array.isArray(data) || typeof data.kind !== 'string') return null;
  return JSON.stringify({ ...record, data: { kind: data.kind } });
}
