/**
 * What the notification of a run that ended Failed, TimedOut or Crashed says, and the ways on it offers: the
 * run's details, the line it failed at, and Retry from Failure. Pure (no `vscode`): failureNotice.ts shows
 * it, tests check it.
 */
import type { FlowRunDetail } from '../../engine/records';
import type { RunStore } from '../../engine/runStore';
import { stateAndMessage } from '../../engine/states';
import { withoutTerminalEscapes } from '../../engine/terminalText';
import { failureMessage } from '../failures/failureSite';
import { runFailureSiteOf } from '../failures/subflowFailure';

export const OPEN_RUN = 'Open Run' as const;
export const GO_TO_FAILURE = 'Go to Failure' as const;
export const RETRY = 'Retry from Failure' as const;

export type FailureNoticeAction = typeof OPEN_RUN | typeof GO_TO_FAILURE | typeof RETRY;

export interface FailureNotice {
  text: string;
  actions: FailureNoticeAction[];
}

/**
 * Undefined for a run that did not fail (Completed, Cancelled). Go to Failure is offered where it leads
 * somewhere: the run's line, or — failed by a subflow run it awaited — that run's (read from `store`; a store
 * that cannot be read leaves it out, and the notification still says how the run ended).
 */
export async function failureNoticeOf(detail: FlowRunDetail, store: () => Promise<RunStore>): Promise<FailureNotice | undefined> {
  if (detail.state.type !== 'FAILED' && detail.state.type !== 'CRASHED') return undefined;
  const site = await runFailureSiteOf(store, detail).catch(() => undefined);
  // A crash's own message says how the worker ended (and after what); a failure's, the error.
  const why = detail.state.failure && detail.state.type === 'FAILED' ? failureMessage(detail.state.failure) : (detail.state.message ?? detail.state.name);
  const actions: FailureNoticeAction[] = [OPEN_RUN, ...(site ? [GO_TO_FAILURE] : []), ...(detail.parentRunId === undefined ? [RETRY] : [])];
  // A message beginning with the state's name ('Crashed: …') is said alone, not after the name again.
  return { text: `Flow run '${detail.name}' of flow '${detail.flowName}' ended ${stateAndMessage({ name: detail.state.name, message: withoutTerminalEscapes(why).slice(0, 300) })}`, actions };
}
