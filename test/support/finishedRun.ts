/**
 * A finished run written straight to a store, as `runs --json` tests read many of them: `n` task runs, an
 * artifact, a log line and a result, its journal appended 2,000 records at a time. Values are in their stored
 * form, as a worker writes them (the serializer's): a string as it is was no value a record may hold, and its
 * task run was read back as a skipped line.
 */
import type { RunRecord } from '../../src/engine/records';
import { flatten } from '../../src/engine/serializer';
import type { RunStore } from '../../src/engine/runStore';
import { state } from '../../src/engine/states';

export interface FinishedRunOptions {
  /** Each task run's value a string of this many characters (else its number). */
  long?: number;
  /** A task run started before the others and ended after them (a `task` and a `tstate` record). */
  slow?: boolean;
}

/** Adds run `i` (its parameters), Completed; resolves with its id. */
export async function addFinishedRun(store: RunStore, i: number, n: number, options: FinishedRunOptions = {}): Promise<string> {
  const { long = 0, slow = false } = options;
  const h = await store.createRun({ flowName: 'many', source: '/many.flow.ts', parameters: { i } });
  const runId = h.id;
  await h.setState(state('Running'));
  const records: RunRecord[] = [{ k: 'state', runId, name: 'Running', ts: 1 }];
  if (slow) records.push({ k: 'task', runId, id: 'slow', name: 'slow', taskName: 'slow', call: { key: 'slow', argsHash: 'h' }, ts: 2 });
  for (let t = 0; t < n; t++) records.push({ k: 'trun', runId, id: `t${t}`, name: `work-${t}`, taskName: 'work', call: { key: `work#${t}`, argsHash: 'h' }, ts: 3, start: 3, end: 4, state: 'Completed', value: flatten(long > 0 ? `${t}`.padEnd(long, 'x') : t) });
  records.push(
    { k: 'artifact', runId, key: 'report', ts: 5, data: { kind: 'markdown', markdown: `run ${i}` } },
    { k: 'log', runId, ts: 5, level: 'INFO', source: 's', message: 'said' },
    ...(slow ? [{ k: 'tstate', runId, id: 'slow', name: 'Completed', ts: 6 } as const] : []),
    { k: 'result', runId, value: flatten({ i }) },
    { k: 'state', runId, name: 'Completed', ts: 7 },
  );
  for (let at = 0; at < records.length; at += 2000) await h.append(records.slice(at, at + 2000));
  await h.setState(state('Completed', undefined, 7), { endTime: 7 });
  await h.close();
  return runId;
}
