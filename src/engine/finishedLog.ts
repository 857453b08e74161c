/**
 * The engine's line after a flow run's final state — `Flow run 'x' - Finished in state Crashed('…')`, as
 * Prefect writes it — whoever records that state: the run's host, or a store settling a run whose host died.
 */
import { flowRunSource } from './logFormat';
import type { LogLevel, LogRecord, RunRecord } from './records';
import { formatState, stateType } from './states';

export function finishedLog(runName: string, r: Extract<RunRecord, { k: 'state' }>): LogRecord {
  const type = stateType(r.name);
  // A suspended run's attempt finished, waiting for a resume: no error.
  const level: LogLevel = type === 'COMPLETED' || type === 'CANCELLED' || type === 'PAUSED' ? 'INFO' : 'ERROR';
  return { k: 'log', runId: r.runId, ts: r.ts, level, source: flowRunSource(runName), message: `Finished in state ${formatState(r)}` };
}
