import { openStore } from '../host';
import { parseCommandArgs } from '../args';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { resolveRunRef } from '../resolveRun';
import { followLogs } from '../followLogs';
import { terminalLogLine } from '../terminalStyle';

export const LOGS_HELP = `Usage: flowdeck logs <run id, unique id prefix, or name> [--follow]

Prints the stored logs of one run in Prefect's format.

Options:
  -f, --follow   then print its logs as they are written, wherever it runs, until it ends; exit as
                 \`flowdeck run\` would (0 Completed, 1 Failed, Crashed or Cancelled). Ctrl-C stops
                 following (exit 130); the run goes on.`;

export async function logsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('logs', argv, { follow: { type: 'boolean', short: 'f' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, LOGS_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck logs takes one run id or name\n\n${LOGS_HELP}`);
  const store = await openStore(io, 'read');
  try {
    const run = await resolveRunRef(store, positionals[0]!, io, 'logs');
    if (!run) return EXIT.badInput;
    if (values.follow) return await followLogs(store, run, io);
    const shown = terminalLogLine(io.stdout);
    const { found } = await store.readLogs(run.id, async (logs) => {
      let text = '';
      for (const l of logs) text += `${shown(l)}\n`;
      if (!io.stdout.write(text)) await new Promise<void>((r) => io.stdout.once('drain', () => r()));
    });
    if (!found) {
      write(io.stderr, `flowdeck: the logs of run '${run.name}' are gone: its file ${run.id}.jsonl is missing from ${store.location}`);
      return EXIT.runFailed;
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
