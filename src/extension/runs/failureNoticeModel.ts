/**
 * What the notification of a run that ended Failed, TimedOut or Crashed says, and the ways on it offers: the
 * run's details, the line it failed at, and Retry from Failure. Pure (no `vscode`): failureNotice.ts shows
 * it, tests check it.
 */
import type { FlowRunDetail } from '../../engine/records';
import { withoutTerminalEscapes } from '../../engine/terminalText';
import { failureMessage, failureSiteOf } from '../failures/failureSite';

export const OPEN_RUN = 'Open Run' as const;
export const GO_TO_FAILURE = 'Go to Failure' as const;
export const RETRY = 'Retry from Failure' as const;

export type FailureNoticeAction = typeof OPEN_RUN | typeof GO_TO_FAILURE | typeof RETRY;

export interface FailureNotice {
  text: string;
  actions: FailureNoticeAction[];
}

/** Undefined for a run that did not fail (Completed, Cancelled). */
export function failureNoticeOf(detail: FlowRunDetail): FailureNotice | undefined {
  if (detail.state.type !== 'FAILED' && detail.state.type !== 'CRASHED') return undefined;
  const site = failureSiteOf(detail);
  // A crash's own message says how the worker ended (and after what); a failure's, the error.
  const why = detail.state.failure && detail.state.type === 'FAILED' ? failureMessage(detail.state.failure) : (detail.state.message ?? detail.state.name);
  const actions: FailureNoticeAction[] = [OPEN_RUN, ...(site ? [GO_TO_FAILURE] : []), ...(detail.parentRunId === undefined ? [RETRY] : [])];
  return { text: `Flow run '${detail.name}' of flow '${detail.flowName}' ended ${detail.state.name}: ${withoutTerminalEscapes(why).slice(0, 300)}`, actions };
}
