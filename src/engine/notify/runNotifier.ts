/** Tells of unwatched runs' ends as the policy says, rate-limited per flow (notices.ts); the host delivers. */
import type { FlowRunSummary } from '../records';
import type { RunStore } from '../runStore';
import { NoticeThrottle, noticeKind, noticeText, previousFailed, type Notice, type NoticeKind, type NoticeSummary, type NotifyPolicy } from './notices';
import type { Clock } from '../clock';
import type { Timers } from '../timers';

export interface RunNotifierOptions {
  policy: () => NotifyPolicy;
  deliver: (notice: Notice | NoticeSummary) => void;
  /** A run's end or pause is to be told (the policy says so): called before its notice is offered, to record that it is. */
  beforeTelling?: (notice: Notice) => Promise<void>;
  windowMs?: number;
  clock?: Clock;
  timers?: Timers;
}

export class RunNotifier {
  private readonly throttle: NoticeThrottle;

  constructor(
    private readonly store: RunStore,
    private readonly options: RunNotifierOptions,
  ) {
    this.throttle = new NoticeThrottle((n) => options.deliver(n), {
      ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.timers ? { timers: options.timers } : {}),
    });
  }

  /** A top-level run nobody watches has ended. */
  async ended(run: FlowRunSummary): Promise<void> {
    const kind = await this.kindOf(run);
    if (!kind) return;
    const notice: Notice = { kind, run, text: noticeText(kind, run) };
    await this.options.beforeTelling?.(notice);
    this.throttle.offer(notice);
  }

  /**
   * Whether the end of `run` is told under the policy (ended offers a notice of it): one a serve under another
   * left untold may not be (a completed run's, told under `always`).
   */
  async tells(run: FlowRunSummary): Promise<boolean> {
    return (await this.kindOf(run)) !== undefined;
  }

  /** The notice of `run`'s end the policy asks for, if any. */
  private async kindOf(run: FlowRunSummary): Promise<NoticeKind | undefined> {
    const policy = this.options.policy();
    if (policy === 'never' || run.parentRunId) return undefined;
    const before = run.state.type === 'COMPLETED' && policy !== 'onFailure' && previousFailed(run, await this.store.list({ flowNames: [run.flowName], rootsOnly: true }));
    return noticeKind(policy, run, before);
  }

  /**
   * A run (or subflow run) paused in pauseFlowRun: it waits for someone, so it is told under every policy but
   * `never`, at once (not summed up with the flow's ends). The caller tells each pause once.
   */
  async paused(run: FlowRunSummary): Promise<void> {
    if (this.options.policy() === 'never' || run.state.type !== 'PAUSED') return;
    const notice: Notice = { kind: 'paused', run, text: noticeText('paused', run) };
    await this.options.beforeTelling?.(notice);
    this.options.deliver(notice);
  }

  /** Sends the summaries held back (the host is stopping). */
  flush(): void {
    this.throttle.flush();
  }
}
