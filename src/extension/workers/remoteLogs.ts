/**
 * Logs of a run that another machine runs, as they reach the store: its journal (and its subflows') read
 * from where it was left each time Postgres says it grew, until the run ends or the caller stops.
 */
import type { LogRecord } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import type { SharedStore } from '../../engine/sharedStore';
import { isTerminal } from '../../engine/states';

export function followRemoteLogs(store: RunStore, shared: SharedStore, runId: string, onLogs: (logs: LogRecord[]) => void): () => void {
  const seen = new Map<string, number>();
  // The first pass only finds where each journal ends (Show Logs printed that much); later passes print.
  let primed = false;
  let stopped = false;
  let reading: Promise<void> | undefined;
  let again = false;
  const read = async (): Promise<void> => {
    for (const r of await store.runTree(runId)) {
      let after = seen.get(r.id) ?? 0;
      for (;;) {
        const { records, last } = await shared.readRecords(r.id, after, 2000);
        if (primed) {
          const logs = records.filter((x): x is LogRecord => x.k === 'log');
          if (logs.length > 0) onLogs(logs);
        }
        after = last;
        if (records.length < 2000) break;
      }
      seen.set(r.id, after);
    }
    primed = true;
    const run = await store.get(runId);
    if (!run || isTerminal(run.state.type)) stop();
  };
  const wake = (): void => {
    if (stopped) return;
    if (reading) {
      again = true;
      return;
    }
    reading = read()
      .catch(() => undefined)
      .finally(() => {
        reading = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  };
  const off = shared.watch({ journal: wake, runs: wake });
  const stop = (): void => {
    stopped = true;
    off();
  };
  wake();
  return stop;
}
