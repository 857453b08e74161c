import { scheduleViews } from '../../engine/schedules/scheduleEntries';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, write, type CliIo } from '../io';
import { knownSecrets } from '../knownSecrets';
import { declaredIn, fileErrors, refusedSchedules, scheduleJson, scheduleRows } from '../scheduleSources';

export const SCHEDULES_HELP = `Usage: flowdeck schedules [file or folder...] [--json]

Every schedule with its next run time, state and source: those added to the store (\`flowdeck schedule
add\`, Schedule Flow… in VS Code) and those declared in the flow files under the given paths (default:
the current folder). Files whose schedules cannot be read are reported like parse errors (exit 2).

Options:
  --json       a JSON array: id, flowName, source, origin (code|store), cron or intervalSeconds, timezone,
               parameters, catchup, overlap, tags, state (active|paused, or refused: its parameters hold a
               secret, so no scheduler runs it), next (ISO time or null)
  -h, --help   this help`;

export async function schedulesCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('schedules', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, SCHEDULES_HELP);
    return EXIT.ok;
  }
  const declared = await declaredIn(positionals, io);
  const store = await openStore(io, 'read');
  let views;
  // A schedule declared in a flow file may carry a secret the command knows in its parameters: printed masked,
  // and shown refused (no scheduler runs it), saying why.
  const masker = knownSecrets(io.env, store.home);
  try {
    views = scheduleViews(declared.entries, await store.schedules.read(), Date.now(), (text) => masker.mask(text));
  } finally {
    await store.close();
  }
  const errors = fileErrors(declared.files, io);
  for (const e of [...errors, ...refusedSchedules(views, io)]) write(io.stderr, e);
  if (values.json) write(io.stdout, JSON.stringify(masker.maskValue(views.map(scheduleJson)), null, 2));
  else if (views.length === 0) write(io.stdout, 'No schedules. Add one with `flowdeck schedule add <file | built-in> --cron "0 9 * * *"`, or give a flow a schedule option.');
  else for (const row of scheduleRows(views, io)) write(io.stdout, row);
  return errors.length > 0 ? EXIT.badInput : EXIT.ok;
}
