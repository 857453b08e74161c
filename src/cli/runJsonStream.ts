/**
 * A run's JSON (runJson.ts) written as its task runs are read (RunStore.readRunParts), for runs too large
 * to hold: the very text `JSON.stringify(runJson(run), null, 2)` gives — pretty-printed, as `runs --json`
 * and `run --json` have always printed it — and never held whole.
 */
import type { FlowRunDetail } from '../engine/records';
import type { RunStore } from '../engine/runStore';
import type { RunParts } from '../engine/runTaskStream';
import { isRunDeletedWhileRead } from '../engine/storeErrors';
import { neutraliseTerminal } from '../engine/terminalText';
import { write, writeDrained, type CliIo } from './io';
import { runJson, type RunJson } from './runJson';
import { taskRunJsonText } from './taskRunJsonText';

/**
 * Writes a run's JSON, its task runs a batch at a time. `nested`: as an element of a printed array, every
 * line indented one level more.
 */
export async function writeRunJson(
  parts: RunParts<unknown>,
  store: RunStore,
  write: (text: string) => Promise<void>,
  options: { loadResultFiles: boolean; nested: boolean; onDeleted?: (run: RunJson) => void; endNotRecorded?: boolean },
): Promise<void> {
  const json = await runJson(parts.detail, store, { loadResultFiles: options.loadResultFiles });
  if (options.endNotRecorded) json.endNotRecorded = true;
  // Nested, JSON.stringify indents the run itself (as the only element of an array, cut off again): a pass
  // over the text to indent it would take seconds for a large result.
  const print = (v: RunJson): string => (options.nested ? JSON.stringify([v], null, 2).slice(2, -2) : JSON.stringify(v, null, 2));
  let text: string;
  try {
    text = print(json);
  } catch (e) {
    // A result too large for one string: everything else is still printed.
    text = print({ ...json, result: null, resultNote: `The result is too large to print (${(e as Error).message}); it is kept in the store` });
  }
  const indent = options.nested ? '  ' : '';
  // The task runs' key: only the run's own keys start a line after the indent and two spaces. It comes
  // after the result, which may be long: looked for from the end.
  const taskRunsKey = `\n${indent}  "taskRuns": []`;
  const at = text.lastIndexOf(taskRunsKey);
  if (at === -1) throw new Error('runJson printed no taskRuns key');
  // Up to and with the array's `[`.
  await write(text.slice(0, at + taskRunsKey.length - 1));
  let first = true;
  // Each task run's lines begin with the indent and four spaces.
  const pad = `${indent}    `;
  try {
    await parts.readTaskRuns(async (taskRuns) => {
      let chunk = '';
      for (const t of taskRuns) {
        chunk += `${first ? '' : ','}\n${pad}${taskRunJsonText(t, pad)}`;
        first = false;
      }
      await write(chunk);
    });
  } catch (e) {
    // Deleted (a prune in another process) after its first read: the JSON is closed as it stands, and said.
    if (!isRunDeletedWhileRead(e) || !options.onDeleted) throw e;
    options.onDeleted(json);
  }
  await write(`${first ? '' : `\n${indent}  `}]${text.slice(at + taskRunsKey.length)}`);
}

/**
 * A finished run as the one JSON document `run --json` (and `resume --json`) print on stdout, its result
 * loaded even when kept in a file of its own. `ended`, the run as this process ended it, is printed as it
 * is — its state is the one the exit code follows, even when the store could not record it — with the task
 * runs the store has (the runner kept none). A run deleted meanwhile (a prune of `serve --keep-runs`, the
 * editor's history limit) is still printed whole as JSON, as far as it was read; stderr says its task runs
 * are left out. `endNotRecorded`: the run's end here could not be recorded (its host lost its lease): it is
 * read from the store, as the store holds it, and marked so (`endNotRecorded: true`).
 */
export async function printRunJson(store: RunStore, id: string, io: Pick<CliIo, 'stdout' | 'stderr'>, ended?: FlowRunDetail, options: { endNotRecorded?: boolean } = {}): Promise<void> {
  let deleted = false;
  const parts = await endedRunParts(store, id, ended);
  if (!parts) {
    // A run this process followed (it did not run it), deleted before it could be read: said, not thrown.
    write(io.stderr, `flowdeck: flow run ${id} was deleted (a prune, another process) before its JSON could be printed`);
    return;
  }
  await writeRunJson(parts, store, (text) => writeDrained(io.stdout, text), { loadResultFiles: true, nested: false, onDeleted: () => (deleted = true), ...(options.endNotRecorded ? { endNotRecorded: true } : {}) });
  await writeDrained(io.stdout, '\n');
  // A journal already gone reads as one without task runs: whether the run is still there says which it was.
  if (!deleted) {
    await store.refresh();
    deleted = (await store.get(id)) === undefined;
  }
  if (deleted) write(io.stderr, neutraliseTerminal(`flowdeck: flow run '${parts.detail.name}' was deleted (a prune, another process) as it was printed; its task runs may be left out of its JSON`));
}

/** Finished runs as one JSON array (`resume --crashed --json`), each as printRunJson prints it. */
export async function printRunsJson(store: RunStore, ended: readonly FlowRunDetail[], stdout: NodeJS.WritableStream): Promise<void> {
  await printRunJsonArray(store, indexedRunParts(ended.length, (i) => endedRunParts(store, ended[i]!.id, ended[i])), stdout, { loadResultFiles: true });
}

/** `count` runs' parts, the i-th read by `partsOf(i)` as the iteration comes to it. */
export async function* indexedRunParts<A>(count: number, partsOf: (i: number) => Promise<RunParts<A> | undefined>): AsyncGenerator<RunParts<A> | undefined> {
  for (let i = 0; i < count; i++) yield await partsOf(i);
}

/**
 * Runs as one JSON array, pretty-printed, each run written as it is read (its task runs a batch at a time):
 * a huge run is never held whole. A run `runs` no longer finds (deleted meanwhile) is left out, and
 * leaves no stray comma behind.
 */
export async function printRunJsonArray(
  store: RunStore,
  runs: AsyncIterable<RunParts<unknown> | undefined>,
  stdout: NodeJS.WritableStream,
  options: { loadResultFiles: boolean; onDeleted?: (run: RunJson) => void },
): Promise<void> {
  let written = 0;
  for await (const parts of runs) {
    if (!parts) continue;
    await writeDrained(stdout, written++ === 0 ? '[\n' : ',\n');
    await writeRunJson(parts, store, (text) => writeDrained(stdout, text), { loadResultFiles: options.loadResultFiles, nested: true, ...(options.onDeleted ? { onDeleted: options.onDeleted } : {}) });
  }
  await writeDrained(stdout, written === 0 ? '[]\n' : '\n]\n');
}

async function endedRunParts(store: RunStore, id: string, ended: FlowRunDetail | undefined): Promise<RunParts<unknown> | undefined> {
  const stored = await store.readRunParts(id, { artifactData: false });
  return ended ? { detail: { ...ended, taskRuns: [] }, readTaskRuns: async (onTaskRuns) => stored?.readTaskRuns(onTaskRuns) } : stored;
}
