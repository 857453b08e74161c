import { join } from 'node:path';
import { openStore } from '../host';
import { parseCommandArgs } from '../args';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { resolveRunRef } from '../resolveRun';
import { followLogs } from '../followLogs';
import { MAX_TAIL, Tail, logFilterOf, logJson } from '../logFilter';
import type { LogRecord } from '../../engine/records';
import { terminalLogLine } from '../terminalStyle';
import type { RunStore } from '../../engine/runStore';
import { isTerminal } from '../../engine/states';
import { isRunDeletedWhileRead } from '../../engine/storeErrors';
import { neutraliseTerminal } from '../../engine/terminalText';
import { bytesText } from '../../engine/bytesText';
import { MAX_LINE_BYTES } from '../../engine/jsonLines';

export const LOGS_HELP = `Usage: flowdeck logs <run id, unique id prefix, or name> [--follow] [--level LEVEL] [--task NAME] [--tail N] [--json]

Prints the stored logs of one run in Prefect's format.

Options:
  -f, --follow     then print its logs as they are written, wherever it runs, until it ends; exit as
                   \`flowdeck run\` would (0 Completed, 1 Failed, Crashed or Cancelled). Ctrl-C stops
                   following (exit 130); the run goes on.
  --level LEVEL    only lines of this level and above: debug, info, warning, error, critical
  --task NAME      only the lines of a task's runs (\`fetch\`: fetch-0, fetch-1…) or of one task run
  --tail N         only the last N lines (of those chosen) stored so far; with --follow, then the new ones
                   (N up to ${MAX_TAIL.toLocaleString('en-US')})
  --json           one JSON object a line: {"time", "level", "source", "message", "taskRunId"?}
  -h, --help       this help`;

export async function logsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('logs', argv, {
    follow: { type: 'boolean', short: 'f' },
    level: { type: 'string' },
    task: { type: 'string' },
    tail: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    write(io.stdout, LOGS_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck logs takes one run id or name\n\n${LOGS_HELP}`);
  const filter = logFilterOf(values);
  const store = await openStore(io, 'read');
  try {
    const run = await resolveRunRef(store, positionals[0]!, io, 'logs');
    if (!run) return EXIT.badInput;
    if (values.follow) return await followLogs(store, run, io, filter);
    const shown = filter.json ? logJson : terminalLogLine(io.stdout);
    const out = async (logs: readonly LogRecord[]): Promise<void> => {
      let text = '';
      for (const l of logs) text += `${shown(l)}\n`;
      if (text !== '' && !io.stdout.write(text)) await new Promise<void>((r) => io.stdout.once('drain', () => r()));
    };
    const tail = filter.tail === undefined ? undefined : new Tail<LogRecord>(filter.tail);
    let printed = 0;
    const { found, tooLarge } = await store.readLogs(run.id, async (logs) => {
      const chosen = logs.filter(filter.accepts);
      printed += chosen.length;
      if (tail) for (const l of chosen) tail.push(l);
      else await out(chosen);
    });
    if (tail) {
      // A write a batch, as the lines were read: a tail of a million lines is not one string.
      const last = tail.drain();
      for (let i = 0; i < last.length; i += 10_000) await out(last.slice(i, i + 10_000));
    }
    if (tooLarge) {
      // Left out, not silently: the line may have been a log line (log lines are cut to 1 MB as written; a
      // line this big is damage, or an older Flowdeck's).
      const lines = tooLarge.lines === 1 ? 'a journal line' : `${tooLarge.lines} journal lines`;
      write(io.stderr, neutraliseTerminal(`flowdeck logs: left out ${lines} of run '${run.name}' too big to read (${bytesText(tooLarge.bytes)}${tooLarge.lines === 1 ? '' : ' in all'}; lines over ${bytesText(MAX_LINE_BYTES)} are not read), which may have held a log line; its file: ${join(store.location, 'runs', `${run.id}.jsonl`)}`));
    }
    if (!found) {
      write(io.stderr, `flowdeck: the logs of run '${run.name}' are gone: its file ${run.id}.jsonl is missing from ${store.location}`);
      return EXIT.runFailed;
    }
    // No line of the task: a task of the run that logged nothing is fine; a task the run has not is a typo.
    if (filter.task && printed === 0) {
      const tasks = await taskNamesOf(store, run.id, filter.task.chooses);
      if (tasks && !tasks.chosen) {
        const named = tasks.names.length === 0 ? 'it has no task runs' : `its tasks: ${tasks.names.join(', ')}${tasks.more ? ', …' : ''}`;
        write(io.stderr, neutraliseTerminal(`flowdeck logs: run '${run.name}' has no task or task run named '${filter.task.name}'${isTerminal(run.state.type) ? '' : ' (yet)'}; ${named} (\`flowdeck inspect ${run.name}\` lists its task runs)`));
        return EXIT.badInput;
      }
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** How many task names are named when a --task matches none. */
const MAX_NAMED_TASKS = 20;

/** The run's task names (the first few), and whether any of its task runs is `chooses`'s; undefined when the run is gone. */
async function taskNamesOf(store: RunStore, runId: string, chooses: (taskRunName: string) => boolean): Promise<{ names: string[]; more: boolean; chosen: boolean } | undefined> {
  const parts = await store.readRunParts(runId, { artifactData: false });
  if (!parts) return undefined;
  const names = new Set<string>();
  let more = false;
  let chosen = false;
  try {
    await parts.readTaskRuns((taskRuns) => {
      for (const t of taskRuns) {
        if (chooses(t.name)) chosen = true;
        if (names.size < MAX_NAMED_TASKS) names.add(t.taskName);
        else if (!names.has(t.taskName)) more = true;
      }
    });
  } catch (e) {
    if (isRunDeletedWhileRead(e)) return undefined;
    throw e;
  }
  return { names: [...names], more, chosen };
}
