/**
 * Which parameters a run ran with, read from its journal alone (RunStore.parametersOf) as the run reducer
 * folds them: those of its creation record — until a record of its flow (RunFlowRecord) says otherwise. A
 * run made before its flow was loaded (queued, a stored schedule's) is made with the parameters it was
 * given, often none; the process that takes it up records those its flow runs with, its declared defaults
 * filled in. A run still waiting keeps those it was made with.
 */
import { isTaskLine, lineOtherThanKinds, type RunRecord } from './records';

/** The kinds of record that say a run's parameters. */
const PARAMETER_RECORD_KINDS: readonly string[] = ['run', 'flow'];

/** Whether a journal line is surely not one that says the run's parameters: a reader passes over it unparsed. */
export const isOtherThanParametersLine = lineOtherThanKinds(PARAMETER_RECORD_KINDS);

/**
 * Whether a journal line is one after which no record says the run's parameters: a task run's (or a
 * result's, an artifact's). The record of its flow comes as the run is taken up, before it runs anything,
 * so a reader stops there — a run of a million task runs is not read through for its parameters.
 */
export const endsParameterLines = isTaskLine;

/**
 * The run's parameters after record `r`, from those before it (undefined before its creation record: a
 * journal without one has none to tell).
 */
export function parametersAfter(before: Record<string, unknown> | undefined, r: RunRecord): Record<string, unknown> | undefined {
  if (r.k === 'run') return r.parameters;
  if (r.k === 'flow' && r.parameters !== undefined && before !== undefined) return r.parameters;
  return before;
}
