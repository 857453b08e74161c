/**
 * Runs the run index lost: a garbage line in an index segment, a segment emptied or deleted, drops the
 * runs it described from every listing, while their journals and results stay (the daily sweep keeps a
 * journal holding more than a creation wrote: abandonedCreations.ts). Nothing else would ever list them
 * again, so a writing process that finds the index damaged (lines it could not read), or folds it into a
 * snapshot, or does the day's sweep, looks for them and lists them again with the state their journal
 * folds to (the one reducer, runReducer.ts); a crashed host's run is then settled as any other.
 *
 * A journal is a lost run's when the index neither lists the run nor records its deletion, and it holds
 * more than a bare creation (bareCreation.ts: a creation lists its run before writing anything more, so
 * such a journal's run was listed once). The work is bounded: at most MAX_RUNS journals a look, and of
 * each only what its index entry needs — its first HEAD_BYTES (creation, flow facts, first states, a
 * rename) and its last JOURNAL_END_BYTES (latest states, attempt), log and task lines passed over; a
 * huge run's middle is not read (a rename or an artifact recorded only there is not seen).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isBareCreation } from './bareCreation';
import { JOURNAL_END_BYTES } from './journalEnd';
import { scanJsonLines } from './jsonLines';
import { isAlive } from './processIdentity';
import { lineOfKinds, type FlowRunSummary, type RunRecord } from './records';
import { asRunRecord } from './recordShape';
import { applyRecord, startFold, summaryOf, type RunFold } from './runReducer';
import { isSettled } from './states';

/** Journals of unlisted runs looked at, at most, in one look; the rest wait for the next. */
export const MAX_RUNS = 1000;
/** How much of a journal's start is read for its run's creation, flow facts and first states. */
export const HEAD_BYTES = 1024 * 1024;
/** Bytes of journals read at most in one look (about 128 huge runs); the rest wait for the next. */
export const MAX_BYTES = 256 * 1024 * 1024;

const JOURNAL = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;
/** Lines no index entry needs: logs, task runs and their results. */
const passOver = lineOfKinds(['log', 'task', 'trun', 'tstate', 'result']);

export interface Known {
  hasRun(id: string): boolean;
  wasDeleted(id: string): boolean;
}

/**
 * The index entries of the runs in `runsDir` that `known` neither lists nor records deleted, folded from
 * their journals. A run still unfinished whose host may be running it (alive, or its journal changed
 * within `quietMs`: a host touches it while it runs) is left for a later look, when it has ended or its
 * host is known gone: listing it now would have it settled as crashed while it runs.
 */
export async function findLostRuns(runsDir: string, known: Known, options: { now: number; quietMs: number }): Promise<{ found: FlowRunSummary[]; deferred: number }> {
  const found: FlowRunSummary[] = [];
  let deferred = 0;
  let bytes = 0;
  let looked = 0;
  for (const entry of await readdir(runsDir).catch(() => [] as string[])) {
    if (looked >= MAX_RUNS || bytes >= MAX_BYTES) break;
    const id = JOURNAL.exec(entry)?.[1];
    if (id === undefined || known.hasRun(id) || known.wasDeleted(id)) continue;
    looked++;
    const path = join(runsDir, entry);
    try {
      if (await isBareCreation(path)) continue;
      const { size, mtimeMs } = await stat(path);
      bytes += Math.min(size, HEAD_BYTES + JOURNAL_END_BYTES);
      const summary = await summaryFromJournal(path, id, size);
      if (!summary) continue;
      if (!isSettled(summary.state) && (isAlive(summary.owner) || options.now - mtimeMs < options.quietMs)) {
        deferred++;
        continue;
      }
      found.push(summary);
    } catch {
      // Gone meanwhile (deleted, swept) or unreadable: not listed; the next look tries again.
    }
  }
  return { found, deferred };
}

/** A run's index entry as its journal at `path` (of `size` bytes) folds (its start and end); undefined without its creation record. */
export async function summaryFromJournal(path: string, id: string, size: number): Promise<FlowRunSummary | undefined> {
  let fold: RunFold | undefined;
  const add = (records: RunRecord[]): void => {
    for (const r of records) {
      if (fold) applyRecord(fold, r);
      else if (r.k === 'run') fold = startFold(r);
    }
  };
  const parse = (v: unknown): RunRecord | undefined => asRunRecord(v, id);
  const head = Math.min(size, HEAD_BYTES);
  const first = await scanJsonLines(path, 0, parse, add, { end: head, passOver });
  // From the end of the head's last whole line at the earliest: a line its end cut is read whole here.
  if (size > first.end) await scanJsonLines(path, Math.max(first.end, size - JOURNAL_END_BYTES), parse, add, { end: size, passOver });
  if (!fold) return undefined;
  const summary = summaryOf(fold.detail);
  const keys = (fold.detail.artifacts ?? []).map((a) => a.key);
  if (keys.length > 0) summary.artifactKeys = [...new Set(keys)];
  return summary;
}
