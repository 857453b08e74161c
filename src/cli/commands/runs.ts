import { formatDuration } from '../../engine/durationText';
import { wholeNumberOption } from '../wholeNumberOption';
import type { FlowRunSummary } from '../../engine/records';
import { STATE_NAMES, type StateType } from '../../engine/states';
import { neutraliseTerminal } from '../../engine/terminalText';
import { ageText } from '../../engine/ageText';
import { openStore } from '../host';
import { parseCommandArgs } from '../args';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { printRunJsonArray } from '../runJsonStream';
import { eachRunParts } from '../../engine/eachRunParts';
import { terminalStateName } from '../terminalStyle';
import { columnWidths } from '../textTable';
import { checkedTags } from '../tagArgs';
import { knownSecrets } from '../knownSecrets';
import { stateFilterOf, type StateFilter } from '../stateFilter';

const STATE_TYPES: readonly StateType[] = ['SCHEDULED', 'PENDING', 'RUNNING', 'CANCELLING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'];

export const RUNS_HELP = `Usage: flowdeck runs [--json] [--limit N] [--flow NAME] [--state TYPE]... [--tag TAG]... [--search TEXT]

Lists run history, newest first.

Options:
  --limit N      at most N runs (default 20)
  --flow NAME    only runs of this flow
  --state TYPE   only runs in a state of this type (repeatable): ${STATE_TYPES.map((t) => t.toLowerCase()).join(', ')}
                 (TimedOut is failed, Cached completed, AwaitingRetry scheduled, Suspended paused), or of
                 this name: timedout, suspended, awaitingretry…
  --tag TAG      only runs carrying this tag (repeatable: every one of them)
  --search TEXT  only runs whose name, flow's name or a tag holds TEXT (any case), as Search Runs… in
                 the editor
  --json         a JSON array of runs (the shape of \`flowdeck run --json\`)
  -h, --help     this help`;

/**
 * `--state` values (any case): state types (`failed`, with TimedOut) or the names of states within one
 * (`timedout`, `suspended`, `awaitingretry`); a value that is neither says which there are.
 */
function statesOf(values: readonly string[]): StateFilter {
  return stateFilterOf(
    values,
    STATE_TYPES,
    STATE_NAMES,
    (v) =>
      new UsageError(`--state takes a state type, one of ${STATE_TYPES.map((t) => t.toLowerCase()).join(', ')}, or a state's name (${STATE_NAMES.filter((n) => !STATE_TYPES.includes(n.toUpperCase() as StateType)).map((n) => n.toLowerCase()).join(', ')}); got '${v}'`),
  );
}

function duration(r: FlowRunSummary): string {
  if (r.startTime === undefined) return '-';
  return formatDuration((r.endTime ?? Date.now()) - r.startTime);
}

export async function runsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('runs', argv, { json: { type: 'boolean' }, limit: { type: 'string' }, flow: { type: 'string' }, state: { type: 'string', multiple: true }, tag: { type: 'string', multiple: true }, search: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, RUNS_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`flowdeck runs takes no arguments, got '${positionals[0]}'; use --flow NAME for the runs of one flow\n\n${RUNS_HELP}`);
  const limit = values.limit === undefined ? 20 : wholeNumberOption('--limit', values.limit, 1);
  const states = values.state === undefined ? undefined : statesOf(values.state);
  const search = values.search?.trim();
  if (search === '') throw new UsageError('--search needs some text to look for in run and flow names');
  if (search !== undefined && search.length > 200) throw new UsageError(`--search takes at most 200 characters, got ${search.length}`);
  const tags = values.tag === undefined ? undefined : checkedTags(values.tag, '--tag', knownSecrets(io.env));
  let store = await openStore(io, 'read');
  // Index lines that could not be read (a torn or garbage line): the runs they describe are missing or
  // show an older state. Where the store may be written, it is opened so, and lists again the runs the
  // index lost from their journals (lostRuns.ts), saying which; else it is said, not left silent.
  const skipped = store.skippedIndexRecords;
  if (skipped > 0) {
    const writable = await openStore(io, 'write').catch(() => undefined);
    if (writable) {
      await store.close();
      store = writable;
    }
  }
  try {
    const lines = `${skipped} line${skipped === 1 ? '' : 's'} of the run index in ${store.location} could not be read (damaged)`;
    if (skipped > 0 && !store.readOnly) write(io.stderr, neutraliseTerminal(`flowdeck runs: ${lines}; ${(store.relistedRuns ?? []).length > 0 ? 'the runs it had lost are listed again (above)' : "no lost run's journal was found to list again"}; a run whose state line was lost may show an older state.`));
    else if (skipped > 0) write(io.stderr, neutraliseTerminal(`flowdeck runs: ${lines}; runs they describe may be missing from this list or show an older state (a command that may write to the store lists them again).`));
    // The limit applies before anything is read: only the runs shown are read from their journals.
    // One more than shown: the table says when there are more.
    const listed = await store.list({ limit: limit + 1, ...(values.flow !== undefined ? { flowNames: [values.flow] } : {}), ...(states ?? {}), ...(search !== undefined ? { search } : {}), ...(tags !== undefined ? { tags } : {}) });
    const runs = listed.slice(0, limit);
    if (runs.length === 0 && (values.flow !== undefined || search !== undefined || states || tags)) {
      // Filtered to nothing: which filters, said back (exit 0: a question answered — "which runs of
      // 'nightly' are there?", none yet, is not bad input).
      const which = [
        values.flow !== undefined ? ` of flow '${values.flow}'` : '',
        states ? ` in state ${[...states.stateTypes.map((t) => t.toLowerCase()), ...states.stateNames].join(' or ')}` : '',
        tags ? ` tagged ${tags.map((t) => `'${t}'`).join(' and ')}` : '',
        search !== undefined ? ` whose name, flow or tags hold '${search}'` : '',
      ].join('');
      // --flow alone: no run of that name at all; the flows that have runs are named, for a slip.
      const known = values.flow !== undefined && !states && !tags && search === undefined ? (await store.flows()).map((f) => f.flowName) : undefined;
      const flows = known === undefined ? '' : known.length > 0 ? ` (flows with runs: ${known.join(', ')})` : ' (no flow has runs yet)';
      if (values.json) write(io.stdout, '[]');
      // What was typed is said back masked: a --search or --flow holding a secret the command knows (pasted
      // in the wrong place) is not printed, as nothing else the CLI prints is.
      const masker = knownSecrets(io.env, store.home);
      write(values.json ? io.stderr : io.stdout, neutraliseTerminal(masker.mask(`No runs${which}${flows}.`)));
      return EXIT.ok;
    }
    if (values.json) {
      // Results kept in files of their own are not loaded (their size is given instead), nor artifacts' data (not printed).
      // A run another process deletes while it is printed (a prune): printed as read, its task runs cut short, and said.
      // Read together where the store can (a few queries for many runs on Postgres), not one by one.
      await printRunJsonArray(store, eachRunParts(store, runs.map((r) => r.id)), io.stdout, {
        loadResultFiles: false,
        onDeleted: (run) => write(io.stderr, neutraliseTerminal(`flowdeck runs: flow run '${run.name}' was deleted while it was printed; its task runs are left out`)),
      });
      return EXIT.ok;
    }
    if (runs.length === 0) {
      write(io.stdout, 'No runs yet. Start one with `flowdeck run <file.flow.ts>` or `flowdeck run github-repo-stats`.');
      return EXIT.ok;
    }
    const now = Date.now();
    // Tags get a column when a run shown has any.
    const withTags = runs.some((r) => r.tags !== undefined);
    const tagsText = (r: FlowRunSummary): string => {
      const text = (r.tags ?? []).join(',');
      return text.length > 40 ? `${text.slice(0, 39)}…` : text || '-';
    };
    // A run whose journal is gone is marked, not shown as if it had run with nothing (`inspect` says so too).
    const missing = (await store.missingJournals?.(runs.map((r) => r.id))) ?? new Set<string>();
    const rows = runs.map((r) => [missing.has(r.id) ? `${r.name} (journal missing)` : r.name, r.flowName, r.state.name, duration(r), ageText(now - r.created), ...(withTags ? [tagsText(r)] : []), r.id].map(neutraliseTerminal));
    const header = ['NAME', 'FLOW', 'STATE', 'DURATION', 'CREATED', ...(withTags ? ['TAGS'] : []), 'ID'];
    const widths = columnWidths(header, rows);
    const stateName = terminalStateName(io.stdout);
    const STATE = 2;
    write(io.stdout, header.map((c, i) => (i === header.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
    rows.forEach((row, n) => write(io.stdout, row.map((c, i) => (i === STATE ? stateName(runs[n]!.state, widths[i]!) : i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')));
    if (missing.size > 0) write(io.stderr, neutraliseTerminal(`${missing.size === 1 ? 'A run shown has' : `${missing.size} runs shown have`} no journal in ${store.location} (journal missing): ${missing.size === 1 ? 'its' : 'their'} parameters, task runs and result are gone; \`flowdeck delete <run>\` removes ${missing.size === 1 ? 'it' : 'them'} from the list.`));
    if (listed.length > limit) write(io.stderr, `The newest ${limit} shown; there are more (--limit ${Math.max(100, limit * 5)} shows more).`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
