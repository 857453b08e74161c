/**
 * A run created ahead of time (a schedule's slot) that ended while it waited to start — cancelled from the
 * editor, `flowdeck cancel` or another machine — is never started: its state stands, and whoever started
 * it (the scheduler) leaves it as it is.
 */
import type { FlowRunSummary } from './records';
import { isTerminal } from './states';
import { shareErrorClass } from './sharedErrorClass';

export class EndedBeforeStart extends Error {
  override readonly name = 'EndedBeforeStart';
  constructor(readonly run: Pick<FlowRunSummary, 'id' | 'name' | 'state'>) {
    super(`Flow run '${run.name}' is ${run.state.name}${run.state.message ? ` (${run.state.message})` : ''}: it ended before its start, and is not started`);
  }
}
shareErrorClass(EndedBeforeStart, 'EndedBeforeStart');

/** Throws EndedBeforeStart when `run` ended without ever starting (it was cancelled while it waited). */
export function refuseEndedBeforeStart(run: Pick<FlowRunSummary, 'id' | 'name' | 'state' | 'startTime'>): void {
  if (isTerminal(run.state.type) && run.startTime === undefined) throw new EndedBeforeStart(run);
}
