/**
 * A new attempt of an existing run (or subflow run) — a resume, a retry after its worker died, a subflow
 * called again: AwaitingRetry, this process its owner, and a line in its log saying what is reused.
 */
import { REFRESHING_CACHE, type Execution, type LiveRun } from './execution';
import { flowRunSource } from './logFormat';
import { currentProcess } from './processIdentity';
import type { ResumeSummary } from './resumePlan';
import { isSettled, state } from './states';

export function beginAttempt(execution: Execution, live: LiveRun, summary: ResumeSummary, why: string): void {
  const d = live.fold.detail;
  const attempt = summary.plan.attempt;
  const s = state('AwaitingRetry', `${why} (attempt ${attempt})`);
  d.owner = currentProcess();
  // How the last attempt ended, in the journal before the next one begins: a host that could not write it
  // there (a full disk) left it in the index only, and the journal alone would then end that attempt's
  // unfinished task runs with the next attempt. Already there, the line folds to nothing.
  if (isSettled(d.state)) execution.record(live, { k: 'state', runId: d.id, name: d.state.name, ts: d.state.timestamp, ...(d.state.message !== undefined ? { message: d.state.message } : {}), ...(d.state.pause ? { pause: d.state.pause } : {}) });
  void execution.flowState(live, { k: 'state', runId: d.id, name: s.name, ts: s.timestamp, message: s.message!, attempt });
  // A run cancelled or failed before it ever started (a queued run cancelled before a worker took it) has nothing to reuse: say so, not "0 of 0".
  // `reusable` counts the checkpoints, not what is reused: a task run is reused only when the flow calls it
  // again with the same arguments, known as it calls it (a task given today's date, resumed another day,
  // runs again) — so "up to", and which were reused is each task run's own line (and its Cached state).
  // A last attempt that ran none (it failed before its first task) leaves the checkpoints of those before it.
  const earlier = summary.lastAttemptTaskRuns > 0 || d.startTime === undefined ? 0 : Object.keys(summary.plan.checkpoints).length;
  // A flow whose work is all in subflows ran no task runs of its own, and still reuses much.
  const subflows = execution.prior.get(d.id)?.length ?? 0;
  const reused =
    summary.lastAttemptTaskRuns > 0
      ? `up to ${summary.reusable} of ${summary.lastAttemptTaskRuns} task runs reused (those called again with the same arguments)`
      : d.startTime === undefined
        ? 'it never started before, so it starts from the beginning'
        : earlier > 0
          ? `its last attempt ran no task runs; up to ${earlier} task run${earlier === 1 ? '' : 's'} of earlier attempts reused (those called again with the same arguments)`
          : subflows > 0
            ? `its last attempt ran no task runs of its own; up to ${subflows} subflow run${subflows === 1 ? '' : 's'} reused or resumed (those called again with the same parameters)`
            : 'its last attempt ran no task runs, so nothing is reused';
  execution.log(live, 'INFO', flowRunSource(d.name), `${why} flow run '${d.name}' (attempt ${attempt}): ${reused}`);
  if (d.refreshCache && d.parentRunId === undefined) execution.log(live, 'INFO', flowRunSource(d.name), REFRESHING_CACHE);
}
