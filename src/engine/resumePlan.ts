/**
 * What a resumed run reuses: from a run's folded history, the completed calls of earlier attempts (a
 * task run that completed with its result kept, found again by its call identity). Pure: the runner
 * builds it from the store's (or its own) fold, tests build it from records.
 */
import type { Checkpoint, ResumePlan } from './protocol';
import type { FlowRunDetail, TaskRunRecord } from './records';

export interface ResumeSummary {
  plan: ResumePlan;
  /** Completed calls that will be reused. */
  reusable: number;
  /** Task runs of the attempt being resumed. */
  lastAttemptTaskRuns: number;
}

function checkpointOf(t: TaskRunRecord, byId: ReadonlyMap<string, TaskRunRecord>): Checkpoint | undefined {
  if (!t.call?.argsHash) return undefined;
  // A task run that reused an earlier one holds no result of its own: the original does.
  const origin = t.reusedFrom ? byId.get(t.reusedFrom.taskRunId) : t;
  if (!origin || origin.state.type !== 'COMPLETED' || (origin.result === undefined && origin.resultRef === undefined)) return undefined;
  const cp: Checkpoint = { argsHash: t.call.argsHash, attempt: origin.flowAttempt, taskRunId: origin.id };
  if (origin.result !== undefined) cp.value = origin.result.dv;
  if (origin.resultRef !== undefined) cp.ref = origin.resultRef;
  return cp;
}

/** The plan for attempt `attempt` of `run`. `retriesLeft` limits the flow's own retries in it. */
export function resumePlanFor(run: Pick<FlowRunDetail, 'taskRuns' | 'attempt' | 'inputs'> & Partial<Pick<FlowRunDetail, 'artifacts'>>, attempt: number, retriesLeft?: number): ResumeSummary {
  const byId = new Map(run.taskRuns.map((t) => [t.id, t]));
  const checkpoints: Record<string, Checkpoint> = {};
  const unhashed: Record<string, number> = {};
  // The latest completed call of each identity wins: it reflects the arguments the code passes now.
  for (const t of run.taskRuns) {
    if (!t.call) continue;
    const cp = checkpointOf(t, byId);
    if (cp) checkpoints[t.call.key] = cp;
    else if (t.call.argsHash === undefined && t.state.type === 'COMPLETED') unhashed[t.call.key] = t.flowAttempt;
  }
  const last = run.taskRuns.filter((t) => t.flowAttempt === run.attempt);
  const plan: ResumePlan = { attempt, checkpoints };
  if (Object.keys(unhashed).length > 0) plan.unhashed = unhashed;
  if (retriesLeft !== undefined) plan.retriesLeft = retriesLeft;
  if (run.inputs !== undefined && Object.keys(run.inputs).length > 0) plan.inputs = run.inputs;
  const keys = [...new Set((run.artifacts ?? []).map((a) => a.key))];
  if (keys.length > 0) plan.artifactKeys = keys;
  return { plan, reusable: last.filter((t) => t.call && checkpoints[t.call.key]).length, lastAttemptTaskRuns: last.length };
}

/** Who resumes a crashed run automatically (the editor, `resume --crashed`, a worker): claimed before its flow is loaded. */
export function resumeKey(runId: string, attempt: number): string {
  return `resume:${runId}:${attempt}`;
}

/** Who takes attempt `attempt` of run `runId` over (every resume, by hand or not): claimed as it is taken over. */
export function attemptKey(runId: string, attempt: number): string {
  return `attempt:${runId}:${attempt}`;
}
