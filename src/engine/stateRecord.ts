/**
 * A run's state as the journal record that puts it in that state: what a host, a store settling a run, or
 * a worker refusing one appends. The reducer reads it back as the same state.
 */
import type { RunRecord } from './records';
import type { State } from './states';

export function stateRecord(runId: string, s: State): Extract<RunRecord, { k: 'state' }> {
  return { k: 'state', runId, name: s.name, ts: s.timestamp, ...(s.message !== undefined ? { message: s.message } : {}), ...(s.failure !== undefined ? { failure: s.failure } : {}), ...(s.pause !== undefined ? { pause: s.pause } : {}), ...(s.subflowRunId !== undefined ? { subflowRunId: s.subflowRunId } : {}) };
}
