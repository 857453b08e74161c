/**
 * Where a followed run's journal is read from: the embedded store's journal file (read from a byte offset,
 * watched on disk), or a shared store's journal rows (read from a sequence number, woken by the store's
 * LISTEN/NOTIFY). JournalFollower (the editor) folds either the same way; `flowdeck logs --follow` prints
 * its logs.
 */
import { watch } from 'node:fs';
import { EmbeddedStore } from './embeddedStore';
import { scanJsonLines } from './jsonLines';
import { isTaskLine, lineOfKinds, TASK_RECORD_KINDS, type RunRecord } from './records';
import { asRunRecord } from './recordShape';
import type { RunStore } from './runStore';
import type { RecordKinds, SharedStore } from './sharedStore';

export interface JournalSource {
  /** Reads the records after `from` (0: from the start) in batches; returns where the next read starts and the lines skipped as malformed. */
  read(from: number, onBatch: (records: RunRecord[]) => void): Promise<{ end: number; skipped: number }>;
  /** Calls `changed` when the journal may have grown, until the returned function is called. */
  watch(changed: () => void): () => void;
  /** How often an unfinished run's journal is read without being told it changed. */
  readonly pollMs: number;
}

/**
 * Bytes of a journal file read at a time: ~250 task runs' lines, a few milliseconds of parsing and folding.
 * The extension host's longest hold while a 200,000-task run's details open (bench `details`, 3 rounds
 * each): 69–80 ms at 256 KB, 45–55 ms at 64 KB, 51 ms at 32 KB, for the same CPU within the noise. What is
 * left is the journal's last read (its end) or a garbage collection (30–37 ms), not the read's size.
 */
const READ_CHUNK = 64 * 1024;

/**
 * A run's journal file: watched on disk, and polled every second (watches miss changes on some file
 * systems). `passOver`: lines not read at all (a reader of logs passes over a big map's task runs).
 */
export function fileJournal(file: string, runId: string, passOver?: (bytes: Buffer, from: number, to: number) => boolean): JournalSource {
  return {
    pollMs: 1000,
    // Read on the extension host's thread: each chunk is parsed and folded in one go, so chunks are small.
    read: async (from, onBatch) => scanJsonLines(file, from, (v) => asRunRecord(v, runId), onBatch, passOver ? { chunkBytes: READ_CHUNK, passOver } : { chunkBytes: READ_CHUNK }),
    watch: (changed) => {
      try {
        const watcher = watch(file, { persistent: false }, changed);
        watcher.on('error', () => watcher.close());
        return () => watcher.close();
      } catch {
        // No watch (the file is gone, or the platform refuses): the poll still catches up.
        return () => undefined;
      }
    },
  };
}

const PAGE = 2000;

/**
 * A run's journal in a shared store: read by sequence number, woken by the store's notifications (polled only
 * rarely, in case one was missed while reconnecting). `kinds`: the records read (the store filters them).
 */
export function sharedJournal(shared: SharedStore, runId: string, kinds?: RecordKinds): JournalSource {
  return {
    pollMs: 15_000,
    read: async (from, onBatch) => {
      let after = from;
      for (;;) {
        const { records, last, full } = await shared.readRecords(runId, after, PAGE, kinds);
        if (records.length > 0) onBatch(records);
        after = last;
        if (!full) return { end: after, skipped: 0 };
      }
    },
    watch: (changed) => shared.watch({ journal: (id) => id === runId && changed(), resync: changed }),
  };
}

/** What a follower of a run's logs passes over when it shows its progress too: its artifacts are read. */
const TASK_RUN_KINDS = TASK_RECORD_KINDS.filter((k) => k !== 'artifact');
const isTaskRunLine = lineOfKinds(TASK_RUN_KINDS);

/**
 * The journal of run `runId` in `store`, to follow live. `logsAndRun`: only what a reader of its logs and
 * its own state needs — its task runs, results and artifacts are passed over unread (the embedded store's
 * journal lines) or left out by the query (a shared store's rows); `artifacts` too: its artifacts are read.
 */
export function journalSourceOf(store: RunStore, runId: string, options: { logsAndRun?: boolean; artifacts?: boolean } = {}): JournalSource {
  const passOver = options.logsAndRun ? (options.artifacts ? isTaskRunLine : isTaskLine) : undefined;
  if (store instanceof EmbeddedStore) return fileJournal(store.runFile(runId), runId, passOver);
  if (store.shared) return sharedJournal(store.shared, runId, options.logsAndRun ? { not: options.artifacts ? TASK_RUN_KINDS : TASK_RECORD_KINDS } : undefined);
  throw new Error(`Following a run live needs the embedded run store or a shared one; ${store.location} is neither.`);
}
