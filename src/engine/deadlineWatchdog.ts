/**
 * The host's side of timeouts: a worker whose code is past a deadline (a flow run's or a task run's) and its
 * grace has not stopped it by itself — a blocked thread cannot — so its process is killed, and the run ends
 * TimedOut saying so. Checked a few times a second while any run here has a deadline.
 */
import type { Execution } from './execution';
import { formatState } from './states';

export class DeadlineWatchdog {
  private timer?: NodeJS.Timeout;

  /** `executions`: the runs' executions here now, each once; `timeoutGraceMs`: how long past its deadline the worker itself is given. */
  constructor(
    private readonly executions: () => Iterable<Execution>,
    private readonly timeoutGraceMs: number,
  ) {}

  /** The run's flow's `timeoutSeconds`, from now: the host's own deadline, in case the worker blocks before it can report one. */
  armFlow(execution: Execution): void {
    const timeout = execution.flow?.timeoutSeconds;
    if (!timeout || timeout <= 0) return;
    execution.deadlines.set(execution.id, { at: Date.now() + timeout * 1000, label: `Flow run '${execution.name}'`, seconds: timeout });
    this.arm();
  }

  /** A flow or task run (`id`) entered state `name`: running with a deadline from the worker, it has that one; no longer running, none. */
  track(execution: Execution, id: string, name: string, deadline: number | undefined, ts: number, label: string, taskOf?: string): void {
    const running = name === 'Running' || name === 'Retrying';
    if (running && deadline !== undefined) {
      execution.deadlines.set(id, { at: deadline, label, seconds: Math.round((deadline - ts) / 100) / 10, ...(taskOf !== undefined ? { taskOf } : {}) });
      this.arm();
    } else if (!running) {
      execution.deadlines.delete(id);
    }
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.check(), 250);
    this.timer.unref();
  }

  /** Kills a worker whose code is past a deadline and its grace: it cannot stop by itself (a blocked thread). */
  private check(): void {
    // A little more than the worker's own grace, so a worker that can still act records the timeout itself.
    const grace = this.timeoutGraceMs + 500;
    const now = Date.now();
    let any = false;
    for (const execution of this.executions()) {
      for (const [id, d] of execution.deadlines) {
        any = true;
        if (now > d.at + grace && !execution.killReason) {
          const why = `exceeded timeout of ${d.seconds} second(s) and did not stop within ${this.timeoutGraceMs / 1000} s; its worker process was killed`;
          execution.killReason = { name: 'TimedOut', message: `${d.label} ${why}` };
          // The task run that timed out ends TimedOut, its log saying so, as one that stopped does — not Failed
          // as the other task runs its flow run's end leaves unfinished.
          const live = d.taskOf !== undefined ? execution.runs.get(d.taskOf) : undefined;
          if (live && live.fold.tasks.has(id)) {
            const ts = Date.now();
            execution.record(live, { k: 'tstate', runId: d.taskOf!, id, name: 'TimedOut', ts, message: `Task run ${why}` });
            execution.record(live, { k: 'log', runId: d.taskOf!, ts, level: 'ERROR', source: d.label, message: `Finished in state ${formatState({ name: 'TimedOut', message: `Task run ${why}` })}`, taskRunId: id });
          }
          execution.worker.killGroup();
        }
      }
    }
    if (!any && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
