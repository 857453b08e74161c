import { parseArgs } from 'node:util';
import { formatLogLine } from '../../engine/logFormat';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';

export const LOGS_HELP = `Usage: flowdeck logs <run id or name>

Prints the stored logs of one run in Prefect's format.`;

export async function logsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    write(io.stdout, LOGS_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck logs takes one run id or name\n\n${LOGS_HELP}`);
  const store = openStore(io);
  const run = store.get(positionals[0]!);
  if (!run) {
    write(io.stderr, `flowdeck: no run with id or name '${positionals[0]}' in ${store.home}; \`flowdeck runs\` lists them`);
    return EXIT.badInput;
  }
  let text = '';
  for (const l of store.readLogs(run.id)) text += `${formatLogLine(l)}\n`;
  io.stdout.write(text);
  return EXIT.ok;
}
