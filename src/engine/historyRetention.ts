/**
 * How much run history a store keeps: which finished runs a prune deletes (`flowdeck prune`), and a
 * pruner that keeps the newest N a moment after runs end (the editor's `flowdeck.runHistoryLimit`,
 * `flowdeck serve --keep-runs`, `flowdeck worker --keep-runs`).
 */
import type { FlowRunSummary } from './records';
import type { RunStore } from './runStore';
import { isTerminal } from './states';

/** What a prune keeps: the newest `keep` finished runs, and any that ended after `endedBefore` (epoch ms). */
export interface RetentionRule {
  keep?: number;
  endedBefore?: number;
}

/**
 * A Crashed run that is still to be dealt with, so no prune takes it: one that resumes when it crashes
 * (`resumeOnCrash`: a worker, `serve` or the editor resumes it), or a schedule's run that never started
 * (its slot is taken over by another process, which deletes it then). Deleting either lost the run, or its
 * slot, for good. pgStore.prune says the same in SQL (with a queued run's retries left).
 */
export function awaitsHandling(run: FlowRunSummary): boolean {
  return run.state.type === 'CRASHED' && (run.resumeOnCrash === true || (run.trigger?.kind === 'schedule' && run.startTime === undefined));
}

/** The top-level runs a prune may take, newest first: finished and not still to be dealt with (awaitsHandling). */
export function prunable(runs: readonly FlowRunSummary[]): FlowRunSummary[] {
  return runs.filter((r) => !r.parentRunId && isTerminal(r.state.type) && !awaitsHandling(r));
}

/**
 * The runs of `runs` (top-level, newest first) a prune deletes: finished ones past the newest `keep`
 * finished ones that also ended before `endedBefore`. A run going, paused, suspended or scheduled is never
 * one of them, nor counted in `keep`; nor is a crashed one still to be dealt with (awaitsHandling).
 */
export function runsToPrune(runs: readonly FlowRunSummary[], rule: RetentionRule): FlowRunSummary[] {
  const finished = prunable(runs);
  const old = finished.slice(rule.keep ?? 0);
  const cutoff = rule.endedBefore;
  return cutoff === undefined ? old : old.filter((r) => (r.endTime ?? r.state.timestamp) < cutoff);
}

/**
 * `keep` of a store's prune, checked: a whole number of runs from `least` up, else a RangeError. A NaN (a
 * setting of "all" read as a number) would keep nothing — `slice(NaN)` is every run — and delete the whole
 * history, the CLI's runs too.
 */
export function checkedKeep(keep: number, least: 0 | 1): number {
  if (!Number.isSafeInteger(keep) || keep < least) throw new RangeError(`How many runs a prune keeps must be a whole number ≥ ${least}, not ${String(keep)}: nothing was pruned.`);
  return keep;
}

/** How long after a run ends the pruner looks: runs ending together are one prune. */
export const PRUNE_DELAY_MS = 2000;

/**
 * Keeps a store to the newest `limit()` finished top-level runs: `soon()` after a run ends, it deletes the
 * older ones (with their subflows, journals and results). One prune at a time; a failure is reported, not
 * thrown (the next run's end tries again).
 */
export class HistoryPruner {
  private timer?: NodeJS.Timeout;
  private pruning?: Promise<void>;

  constructor(
    private readonly store: () => RunStore | undefined,
    private readonly limit: () => number,
    private readonly on: { pruned(ids: string[]): void; failed(error: Error): void },
    private readonly delayMs = PRUNE_DELAY_MS,
  ) {}

  /**
   * Prunes a moment from now; runs ending before then join that prune. The moment is not put off by
   * each end: runs ending more often than the delay (a schedule every second) would keep it off for ever.
   */
  soon(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.now(), this.delayMs);
    this.timer.unref();
  }

  /** Prunes now, after any prune going; resolves when done (never rejects). */
  now(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = (this.pruning ?? Promise.resolve()).then(() => this.prune());
    this.pruning = next;
    return next;
  }

  /** Stops the prune waiting to start; waits for the one going. */
  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.pruning;
  }

  private async prune(): Promise<void> {
    const store = this.store();
    if (!store) return;
    try {
      const limit = checkedKeep(this.limit(), 1);
      if ((await store.count({ rootsOnly: true })) <= limit) return;
      const deleted = await store.prune(limit);
      if (deleted.length > 0) this.on.pruned(deleted);
    } catch (e) {
      this.on.failed(e as Error);
    }
  }
}
