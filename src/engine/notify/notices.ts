/**
 * What to tell when a run nobody watches ends (a scheduled run, a run resumed by itself, a run started
 * from the dashboard), as the `notify` policy says, and at most once per flow per minute: what comes
 * within the minute is told at its end in one line ("3 more runs of daily-stats failed"). The same for
 * an editor's notifications and `flowdeck serve --notify-url`.
 */
import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../clock';
import { pauseAbout, pausedWord } from '../pauseInput';
import type { FlowRunSummary } from '../records';
import { messageAfterName, stateAndMessage } from '../states';
import { systemTimers, type Timers } from '../timers';

export type NotifyPolicy = 'onFailure' | 'onFailureAndRecovery' | 'always' | 'never';
export const NOTIFY_POLICIES: readonly NotifyPolicy[] = ['onFailure', 'onFailureAndRecovery', 'always', 'never'];

/**
 * failed: Failed, TimedOut or Crashed; recovered: completed after the flow's run before it failed; ended: any
 * other end; paused: waiting in pauseFlowRun for someone to resume it.
 */
export type NoticeKind = 'failed' | 'recovered' | 'ended' | 'paused';

export interface Notice {
  kind: NoticeKind;
  run: FlowRunSummary;
  text: string;
}

/**
 * How many of a summary's runs it lists by name (the rest counted: ", and 7 more"): a flow of many runs a minute
 * would otherwise make a message no chat shows whole, and hold every run until its minute ends.
 */
export const SUMMARY_RUNS_LISTED = 10;

/** One run a summary lists: what finds it (`flowdeck inspect <name>`, its id) and how it ended. */
export interface SummedRun {
  id: string;
  name: string;
  /** Its state's name: Failed, TimedOut, Crashed, Completed, Cancelled. */
  state: string;
}

/** Several runs of one flow ended within the minute after a notice about it. */
export interface NoticeSummary {
  flowName: string;
  failed: number;
  other: number;
  /** The latest of them (what Show Logs opens). */
  latest: FlowRunSummary;
  /** The ids of them all, in the order they ended: the runs this summary told of. */
  runIds: string[];
  /** The first SUMMARY_RUNS_LISTED of them, in the order they ended; `runIds` counts the rest. */
  runs: SummedRun[];
  /** The ids (noticeId) of the notices it sums up, in the same order: its own id is derived from them. */
  noticeIds: string[];
  text: string;
}

export function isFailure(run: Pick<FlowRunSummary, 'state'>): boolean {
  return run.state.type === 'FAILED' || run.state.type === 'CRASHED';
}

/** Whether an unwatched run's end is told under `policy`, and as what. */
export function noticeKind(policy: NotifyPolicy, run: Pick<FlowRunSummary, 'state'>, previousFailed: boolean): NoticeKind | undefined {
  if (policy === 'never') return undefined;
  if (isFailure(run)) return 'failed';
  if (policy === 'onFailure') return undefined;
  if (run.state.type === 'COMPLETED' && previousFailed) return 'recovered';
  return policy === 'always' ? 'ended' : undefined;
}

function why(run: FlowRunSummary): string {
  if (run.trigger?.kind === 'schedule') return ` (scheduled for ${new Date(run.trigger.slot).toISOString()})`;
  if (run.trigger?.kind === 'resume') return ' (resumed after its host ended)';
  return '';
}

export function noticeText(kind: NoticeKind, run: FlowRunSummary): string {
  const what = `Flow run '${run.name}' of ${run.flowName}${why(run)}`;
  if (kind === 'failed') {
    // Its word says the state: a message beginning with the state's name ('Crashed: …') is not said after it again.
    const message = messageAfterName(run.state);
    return `${what} ${run.state.type === 'CRASHED' ? 'crashed' : run.state.name === 'TimedOut' ? 'timed out' : 'failed'}${message ? `: ${message}` : ''}`;
  }
  if (kind === 'recovered') return `${what} completed; the run before it had failed`;
  if (kind === 'paused') return `${what} is ${pausedWord(run.state)}${pauseAbout(run.state.message)} — resume it with \`flowdeck resume ${run.name}\` or Resume Run in VS Code`;
  return `${what} ended ${stateAndMessage(run.state)}`;
}

/**
 * A notice's id, the same each time it is told (a webhook's is told again when its serve died before it knew
 * the POST went through): the run, its attempt and what is told of it — a pause by when it paused. A receiver
 * drops a notice whose id it had, as with Stripe's or GitHub's event ids.
 *
 * A summary's is its latest run's with `:summary:` and a digest of the notices it sums up (whatever order they
 * came in): told again after a restart, its runs may be summed up otherwise (the first of them told alone, some
 * held in another minute), and a summary of other runs must not carry an id a receiver had, or it would drop
 * runs it never had. The same runs summed up again carry the same id.
 */
export function noticeId(notice: Notice | NoticeSummary): string {
  if (!('kind' in notice)) {
    const digest = createHash('sha256').update([...notice.noticeIds].sort().join('\n')).digest('hex').slice(0, 16);
    return `${notice.latest.id}:${notice.latest.attempt}:summary:${digest}`;
  }
  const { run, kind } = notice;
  return kind === 'paused' ? pauseNoticeId(run) : `${run.id}:${run.attempt}:${kind}`;
}

/** The id (noticeId) of the notice of the pause `run` is in: by when it paused, so a pause after a resume is a notice of its own. */
export function pauseNoticeId(run: Pick<FlowRunSummary, 'id' | 'attempt' | 'state'>): string {
  return `${run.id}:${run.attempt}:paused:${run.state.timestamp}`;
}

/** "3 more runs of daily-stats failed: 'brave-otter' (Failed), …", the runs past those listed counted (", and 7 more"). */
export function summaryText(flowName: string, failed: number, other: number, runs: readonly SummedRun[]): string {
  const parts = [];
  if (failed > 0) parts.push(`${failed} more run${failed === 1 ? '' : 's'} of ${flowName} failed`);
  if (other > 0) parts.push(`${failed > 0 ? `${other} more` : `${other} more run${other === 1 ? '' : 's'} of ${flowName}`} ended`);
  const rest = failed + other - runs.length;
  const listed = runs.map((r) => `'${r.name}' (${r.state})`).join(', ');
  return `${parts.join('; ')}${listed ? `: ${listed}${rest > 0 ? `, and ${rest} more` : ''}` : ''}`;
}

interface Window {
  until: number;
  timer: unknown;
  failed: number;
  other: number;
  latest?: FlowRunSummary;
  runIds: string[];
  runs: SummedRun[];
  noticeIds: string[];
}

/** One notification per flow per window: the first goes out, the rest are counted and summed up at the window's end. */
export class NoticeThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly send: (n: Notice | NoticeSummary) => void,
    private readonly options: { windowMs?: number; clock?: Clock; timers?: Timers } = {},
  ) {}

  private get windowMs(): number {
    return this.options.windowMs ?? 60_000;
  }

  offer(notice: Notice): void {
    const flow = notice.run.flowName;
    const open = this.windows.get(flow);
    if (open) {
      if (notice.kind === 'failed') open.failed++;
      else open.other++;
      open.latest = notice.run;
      open.runIds.push(notice.run.id);
      if (open.runs.length < SUMMARY_RUNS_LISTED) open.runs.push({ id: notice.run.id, name: notice.run.name, state: notice.run.state.name });
      open.noticeIds.push(noticeId(notice));
      return;
    }
    this.send(notice);
    this.open(flow);
  }

  private open(flow: string): void {
    const timers = this.options.timers ?? systemTimers;
    const now = (this.options.clock ?? systemClock).now();
    const w: Window = { until: now + this.windowMs, timer: undefined, failed: 0, other: 0, runIds: [], runs: [], noticeIds: [] };
    w.timer = timers.setTimeout(() => this.close(flow), this.windowMs);
    this.windows.set(flow, w);
  }

  private close(flow: string): void {
    const w = this.windows.get(flow);
    if (!w) return;
    this.windows.delete(flow);
    if (!w.latest) return;
    this.send(summaryOf(flow, w, w.latest));
    // The summary is a notification too: the next one waits its minute.
    this.open(flow);
  }

  /** Sends what is held now (the host is stopping). */
  flush(): void {
    const timers = this.options.timers ?? systemTimers;
    for (const [flow, w] of [...this.windows]) {
      timers.clearTimeout(w.timer);
      this.windows.delete(flow);
      if (w.latest) this.send(summaryOf(flow, w, w.latest));
    }
  }
}

function summaryOf(flowName: string, w: Window, latest: FlowRunSummary): NoticeSummary {
  return { flowName, failed: w.failed, other: w.other, latest, runIds: w.runIds, runs: w.runs, noticeIds: w.noticeIds, text: summaryText(flowName, w.failed, w.other, w.runs) };
}

/** Whether the flow's run before `run` (the latest that ended before it was created) failed. */
export function previousFailed(run: FlowRunSummary, runsOfFlow: readonly FlowRunSummary[]): boolean {
  const before = runsOfFlow.filter((r) => r.id !== run.id && !r.parentRunId && r.endTime !== undefined && r.endTime <= (run.endTime ?? Infinity)).sort((a, b) => b.endTime! - a.endTime!)[0];
  return before !== undefined && isFailure(before);
}
