/** A new run's first journal records, the same in every store. */
import type { ProcessIdentity, RunCreatedRecord, RunRecord } from './records';
import type { NewRun } from './runStore';
import { state, type State } from './states';
import { stateRecord } from './stateRecord';

/** The run's `run` record, its first state (Pending unless given), and the records to write: a state record too unless Pending. */
export function newRunRecords(run: NewRun, id: string, name: string, owner: ProcessIdentity): { created: RunCreatedRecord; first: State; records: RunRecord[] } {
  const first = run.state ?? state('Pending', undefined, Date.now());
  const created: RunCreatedRecord = { k: 'run', runId: id, name, flowName: run.flowName, source: run.source, parameters: run.parameters, created: first.timestamp, owner };
  if (run.parentRunId !== undefined) created.parentRunId = run.parentRunId;
  if (run.parentTaskRunId !== undefined) created.parentTaskRunId = run.parentTaskRunId;
  if (run.trigger !== undefined) created.trigger = run.trigger;
  if (run.call !== undefined) created.call = run.call;
  if (run.sourceHash !== undefined) created.sourceHash = run.sourceHash;
  if (run.resumeOnCrash) created.resumeOnCrash = true;
  if (run.refreshCache) created.refreshCache = true;
  if (run.idempotencyKey !== undefined) created.idempotencyKey = run.idempotencyKey;
  if (run.tags !== undefined && run.tags.length > 0) created.tags = [...run.tags];
  const records: RunRecord[] = [created];
  if (first.name !== 'Pending') records.push(stateRecord(id, first));
  return { created, first, records };
}
