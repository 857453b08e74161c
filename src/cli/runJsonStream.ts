/**
 * A run's JSON (runJson.ts) written as its task runs are read (RunStore.readRunParts), for runs too large
 * to hold: the very text `JSON.stringify(runJson(run), null, 2)` gives — pretty-printed, as `runs --json`
 * has always printed it — every line indented by `indent`, and never held whole.
 */
import type { RunStore } from '../engine/runStore';
import type { RunParts } from '../engine/runTaskStream';
import { runJson, taskRunJson } from './runJson';

/** The task runs' key in the printed run: only the run's own keys start a line after two spaces. */
const TASK_RUNS = '\n  "taskRuns": []';

export async function writeRunJson(parts: RunParts, store: RunStore, write: (text: string) => Promise<void>, options: { loadResultFiles: boolean; indent: string }): Promise<void> {
  const text = JSON.stringify(await runJson(parts.detail, store, { loadResultFiles: options.loadResultFiles }), null, 2);
  const at = text.indexOf(TASK_RUNS);
  if (at === -1) throw new Error('runJson printed no taskRuns key');
  const nl = `\n${options.indent}`;
  const lines = (s: string): string => s.replace(/\n/g, nl);
  // Up to and with the array's `[`.
  await write(options.indent + lines(text.slice(0, at + TASK_RUNS.length - 1)));
  let first = true;
  await parts.readTaskRuns(async (taskRuns) => {
    let chunk = '';
    for (const t of taskRuns) {
      chunk += `${first ? '' : ','}\n    ${JSON.stringify(taskRunJson(t), null, 2).replace(/\n/g, '\n    ')}`;
      first = false;
    }
    await write(lines(chunk));
  });
  await write(lines(`${first ? '' : '\n  '}]${text.slice(at + TASK_RUNS.length)}`));
}
