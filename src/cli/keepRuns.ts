/** `--keep-runs N` of `flowdeck serve` and `flowdeck worker`: the store kept to the newest N finished runs while they run. */
import { HistoryPruner } from '../engine/historyRetention';
import { wholeNumberOption } from './wholeNumberOption';
import type { FlowRunSummary } from '../engine/records';
import type { FlowRunner } from '../engine/runner';
import type { RunStore } from '../engine/runStore';
import { isSettled } from '../engine/states';

/** The option's lines of a command's help, its text starting at `column` as the command's other options' do. */
export function keepRunsHelp(column: number): string {
  const pad = ' '.repeat(column);
  return `  ${'--keep-runs N'.padEnd(column - 2)}keep the store to the newest N finished runs: older ones (with their
${pad}subflow runs, logs and results) are deleted when it starts and as runs end.
${pad}Unset: every run is kept`;
}

/** The option's value, checked: a whole number ≥ 1, or undefined when not given. */
export function keepRunsOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return wholeNumberOption('--keep-runs', value, 1);
}

/**
 * Prunes the store now and a moment after each of the runner's top-level runs ends; `say` tells what went.
 * Resolves, after the first prune, with what stops it — after a last prune, for the runs that ended as
 * the process stopped.
 */
export async function keepRuns(store: RunStore, runner: FlowRunner, keep: number, say: (message: string) => void): Promise<() => Promise<void>> {
  const pruner = new HistoryPruner(() => store, () => keep, {
    pruned: (ids) => say(`Pruned the run history: deleted ${ids.length.toLocaleString('en-US')} flow run${ids.length === 1 ? '' : 's'} (subflow runs included), keeping the newest ${keep.toLocaleString('en-US')} finished (--keep-runs)`),
    failed: (e) => say(`Could not prune the run history: ${e.message}`),
  });
  const onRun = (run: FlowRunSummary): void => {
    if (!run.parentRunId && isSettled(run.state)) pruner.soon();
  };
  runner.on('run', onRun);
  await pruner.now();
  return async () => {
    runner.off('run', onRun);
    await pruner.now();
    await pruner.dispose();
  };
}
