import { discoverFile } from '../../engine/flowDiscovery';
import { checkedFlowFile } from '../../engine/flowFilePath';
import { ParameterError, parametersFromText, type ParameterDeclarations } from '../../engine/parameters';
import { BadInputError } from '../../engine/runRequest';
import { MIN_SCHEDULE_PREFIX, findSchedule, scheduleView, scheduleViews, type ScheduleView } from '../../engine/schedules/scheduleEntries';
import { checkSchedule, describeSchedule, parseEvery, refuseSecretParameters, ScheduleError, type Schedule } from '../../engine/schedules/scheduleSpec';
import { SlotTimes } from '../../engine/schedules/slotTimes';
import { SecretMasker, secretsFromEnv } from '../../engine/secrets';
import { neutraliseTerminal } from '../../engine/terminalText';
import { BUILTIN_FLOWS } from '../../flows/builtins';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { declaredIn, localTime, scheduleJson, whereFrom } from '../scheduleSources';
import { parameterInput } from '../parameterArgs';
import { sourceFor } from './run';
import { knownSecrets } from '../knownSecrets';
import { checkedTags } from '../tagArgs';

export const SCHEDULE_HELP = `Usage: flowdeck schedule add <file | built-in id> (--cron EXPR | --every 15m) [options]
       flowdeck schedule pause <id> [--json]
       flowdeck schedule resume <id> [--json]
       flowdeck schedule rm <id> [--json]

Adds a schedule to the store, without editing code: \`flowdeck serve\` and every VS Code window with
Flowdeck run it (each slot once). Pause and resume work on schedules declared in flow files too (by the
id \`flowdeck schedules\` shows); rm removes an added schedule.

Options of add:
  --cron EXPR          5 fields, or 6 with seconds first ("*/10 * * * * *"); parsed by croner
  --timezone TZ        IANA timezone the cron expression is read in (default: this machine's)
  --every N{s|m|h|d|w} instead of --cron: every 30s, 15m, 2h, 1d, 2w (counted from 1970-01-01T00:00Z)
  --flow NAME          which flow, when the file has several
  --param key=value    a parameter of the scheduled runs (repeatable), read by its declared type as
                       \`flowdeck run --param\` reads it (name=2.0 is "2.0" for a string); JSON, else
                       text, for one the flow does not declare
  --params JSON        all parameters as one JSON object (--params @FILE: from a file)
  --catchup latest|none   after the machine was off: run the latest missed slot once (default), or none
  --overlap skip|queue|allow   a slot due while the previous run still runs (default skip)
  --tag TAG            a tag of the scheduled runs, beside the flow's own (repeatable; \`runs --tag\` finds them)
  --json               print the schedule as JSON
  -h, --help           this help

--json of pause, resume and rm prints the schedule as \`flowdeck schedules --json\` prints each (rm: as it was
before its removal).

Exit codes: 0 done; 2 bad input (no such flow or schedule, invalid cron, timezone or parameter).

Examples:
  flowdeck schedule add github-repo-stats --cron "0 9 * * *" --param repo=PrefectHQ/prefect
  flowdeck schedule add flows/poll.flow.ts --every 15m
  flowdeck schedule pause 3fa85f6457`;

export async function scheduleCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('schedule', argv, {
    cron: { type: 'string' },
    timezone: { type: 'string' },
    every: { type: 'string' },
    flow: { type: 'string' },
    param: { type: 'string', multiple: true },
    params: { type: 'string' },
    catchup: { type: 'string' },
    overlap: { type: 'string' },
    tag: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    write(values.help ? io.stdout : io.stderr, SCHEDULE_HELP);
    return values.help ? EXIT.ok : EXIT.badInput;
  }
  if (action === 'add') {
    if (rest.length !== 1) throw new UsageError(`schedule add takes one flow file or built-in id\n\n${SCHEDULE_HELP}`);
    if (rest[0]!.trim() === '') throw new UsageError(`flowdeck schedule add needs a flow file or a built-in id, got an empty argument\n\n${SCHEDULE_HELP}`);
    return add(rest[0]!, values, io);
  }
  if (action === 'pause' || action === 'resume' || action === 'rm') {
    if (rest.length !== 1) throw new UsageError(`schedule ${action} takes one schedule id (see \`flowdeck schedules\`)`);
    return change(action, rest[0]!, values.json === true, io);
  }
  throw new UsageError(`unknown schedule action '${action}'\n\n${SCHEDULE_HELP}`);
}

interface AddValues {
  cron?: string;
  timezone?: string;
  every?: string;
  flow?: string;
  param?: string[];
  params?: string;
  catchup?: string;
  overlap?: string;
  tag?: string[];
  json?: boolean;
}

/** The flow a schedule is for: its name, source as runs record it, and parameter declaration. */
function flowFor(target: string, flowOption: string | undefined, io: CliIo): { flowName: string; source: string; declarations?: ParameterDeclarations } | string {
  const source = sourceFor(target, io.cwd);
  if (source.kind === 'builtin') {
    const builtin = BUILTIN_FLOWS.find((b) => b.id === source.id);
    if (!builtin) return `No built-in flow '${source.id}' and no file by that name. Built-in flows: ${BUILTIN_FLOWS.map((b) => b.id).join(', ')}`;
    // As `flowdeck run` refuses it: a built-in is one flow, named as its id.
    if (flowOption !== undefined && flowOption !== builtin.name) return `built-in flow '${builtin.id}' has no flow named '${flowOption}'; it has: ${builtin.name}`;
    return { flowName: builtin.name, source: `builtin:${builtin.id}`, declarations: builtin.parameters };
  }
  let file: string;
  try {
    file = checkedFlowFile(source.path);
  } catch (e) {
    if (e instanceof BadInputError) return e.message;
    throw e;
  }
  const found = discoverFile(file);
  if (found.error) return `${found.file}${found.error.line === undefined ? '' : `:${found.error.line}:${found.error.column ?? 1}`}: ${found.error.message}`;
  const flows = flowOption === undefined ? found.flows : found.flows.filter((f) => f.name === flowOption);
  if (flows.length === 0) {
    const exported = found.flows.map((f) => f.name).join(', ') || '(none)';
    if (flowOption === undefined) return `No flow in ${found.file}`;
    if (found.subflows?.includes(flowOption)) return `${found.file} does not export flow '${flowOption}': it runs only as a subflow of the flows that call it. Export it to schedule it on its own; the file exports: ${exported}`;
    return `No flow '${flowOption}' in ${found.file}; its flows: ${exported}`;
  }
  if (flows.length > 1) return `${found.file} has ${flows.length} flows (${flows.map((f) => f.name).join(', ')}); say which with --flow NAME`;
  const flow = flows[0]!;
  return { flowName: flow.name, source: found.file, ...(flow.parameters ? { declarations: flow.parameters } : {}) };
}

async function add(target: string, values: AddValues, io: CliIo): Promise<number> {
  const masker = new SecretMasker(secretsFromEnv(io.env));
  const fail = (message: string): number => {
    write(io.stderr, `flowdeck: ${neutraliseTerminal(masker.mask(message))}`);
    return EXIT.badInput;
  };
  if (values.cron === undefined && values.every === undefined) return fail('schedule add needs --cron EXPR or --every 15m');
  if (values.cron !== undefined && values.every !== undefined) return fail('schedule add takes --cron EXPR or --every 15m, not both');
  const flow = flowFor(target, values.flow, io);
  if (typeof flow === 'string') return fail(flow);
  let schedule: Schedule;
  try {
    const given: Record<string, unknown> = values.cron !== undefined ? { cron: values.cron } : { intervalSeconds: parseEvery(values.every!) };
    if (values.timezone !== undefined) given.timezone = values.timezone;
    if (values.catchup !== undefined) given.catchup = values.catchup;
    if (values.overlap !== undefined) given.overlap = values.overlap;
    if (values.tag !== undefined) given.tags = checkedTags(values.tag, '--tag', knownSecrets(io.env));
    const mask = (text: string): string => masker.mask(text);
    // Each --param is read by its declared type, as `flowdeck run` reads it.
    const input = parameterInput(values, mask, io.cwd);
    const params = { ...input.parameters, ...parametersFromText(flow.flowName, flow.declarations, input.parameterText, { mask }) };
    refuseSecretParameters(params, mask);
    if (Object.keys(params).length > 0 || values.params !== undefined) given.parameters = params;
    schedule = checkSchedule(given, flow.flowName, flow.declarations);
  } catch (e) {
    if (e instanceof ScheduleError || e instanceof ParameterError) return fail(e.message);
    throw e;
  }
  const store = await openStore(io);
  try {
    const added = await store.schedules.add({ flowName: flow.flowName, source: flow.source, schedule });
    const next = new SlotTimes(added.schedule).next(Date.now());
    if (values.json) {
      const view: ScheduleView = next === undefined ? { entry: { ...added, origin: 'store' }, paused: false } : { entry: { ...added, origin: 'store' }, paused: false, next };
      write(io.stdout, JSON.stringify(scheduleJson(view), null, 2));
    } else {
      write(io.stdout, neutraliseTerminal(`Added schedule ${added.id}: ${flow.flowName} ${describeSchedule(added.schedule)}${next === undefined ? '' : `, next at ${localTime(next)}`}.`));
      write(io.stdout, 'It runs while `flowdeck serve` or a VS Code window with Flowdeck is open.');
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

async function change(action: 'pause' | 'resume' | 'rm', ref: string, json: boolean, io: CliIo): Promise<number> {
  const declared = await declaredIn([], io);
  const store = await openStore(io);
  // As `schedules --json` shows them: a secret the command knows masked, and such a schedule `refused`.
  const masker = knownSecrets(io.env, store.home);
  const mask = (text: string): string => masker.mask(text);
  const printJson = (view: ScheduleView): void => write(io.stdout, JSON.stringify(masker.maskValue(scheduleJson(view)), null, 2));
  try {
    const { found, ambiguous, tooShort } = findSchedule(scheduleViews(declared.entries, await store.schedules.read(), Date.now(), mask), ref);
    if (tooShort) {
      write(io.stderr, neutraliseTerminal(`flowdeck: '${ref}' is too short to name a schedule: give at least ${MIN_SCHEDULE_PREFIX} characters of its id (\`flowdeck schedules\` lists them)`));
      return EXIT.badInput;
    }
    if (ambiguous) {
      write(io.stderr, neutraliseTerminal(`flowdeck: '${ref}' matches ${ambiguous.length} schedules (${ambiguous.map((v) => v.entry.id).join(', ')}); give more of the id`));
      return EXIT.badInput;
    }
    if (!found) {
      write(io.stderr, neutraliseTerminal(`flowdeck: no schedule '${ref}' in the store or the flow files under ${io.cwd}; \`flowdeck schedules\` lists them`));
      return EXIT.badInput;
    }
    const { entry } = found;
    const what = neutraliseTerminal(`schedule ${entry.id} of ${entry.flowName} (${describeSchedule(entry.schedule)})`);
    if (action === 'rm') {
      if (entry.origin === 'code') {
        write(io.stderr, neutraliseTerminal(`flowdeck: ${what} is declared in ${whereFrom(entry, io)}; remove it from the flow's options there, or pause it`));
        return EXIT.badInput;
      }
      await store.schedules.remove(entry.id);
      if (json) printJson(found);
      else write(io.stdout, `Removed ${what}.`);
      return EXIT.ok;
    }
    await store.schedules.setPaused(entry.id, action === 'pause', Date.now());
    // As it is now: the schedule read above, paused or resumed (its next slot from now), not the schedules read again.
    if (json) printJson(scheduleView(entry, action === 'pause', Date.now(), mask));
    else write(io.stdout, `${action === 'pause' ? 'Paused' : 'Resumed'} ${what}.`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
