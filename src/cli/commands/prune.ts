/** `flowdeck prune`: deletes old finished runs — past the newest N, or ended more than an age ago. */
import { parseDuration } from '../../engine/durationInput';
import { runsToPrune, type RetentionRule } from '../../engine/historyRetention';
import { wholeNumberOption } from '../wholeNumberOption';
import type { FlowRunSummary } from '../../engine/records';
import { STATE_NAMES, stateType, type StateName, type StateType } from '../../engine/states';
import { neutraliseTerminal } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { stateJson } from '../runJson';
import { textTableLines } from '../textTable';
import { checkedTags } from '../tagArgs';
import { knownSecrets } from '../knownSecrets';
import { stateFilterOf, type StateFilter } from '../stateFilter';

const ENDED: readonly StateType[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'];
/** Names of finished states that are not a type's own name (`TimedOut` is of type failed). */
const ENDED_NAMES: readonly StateName[] = STATE_NAMES.filter((n) => ENDED.includes(stateType(n)) && !ENDED.includes(n.toUpperCase() as StateType));
/** Runs handed to the store's delete at once: a long prune shows progress, and memory stays bounded. */
const CHUNK = 1000;

export const PRUNE_HELP = `Usage: flowdeck prune [--keep N] [--older-than AGE] [--flow NAME]... [--state TYPE]... [--tag TAG]... [--dry-run] [--json]

Deletes finished runs (Completed, Failed, Cancelled, Crashed), each with its subflow runs, logs, results
and artifacts: those past the newest N, or that ended more than AGE ago, or (both given) both. Runs going,
paused, suspended or scheduled are never deleted, nor counted. \`flowdeck delete\` deletes runs by name.

Options:
  --keep N           keep the newest N finished runs (of the flows and states chosen)
  --older-than AGE   delete only runs that ended more than AGE ago: 30d, 12h, 90m, 45s, 2w
  --flow NAME        only runs of this flow (repeatable)
  --state TYPE       only runs that ended in a state of this type (repeatable): ${ENDED.map((t) => t.toLowerCase()).join(', ')}
                     (TimedOut is failed), or of this name: ${ENDED_NAMES.map((n) => n.toLowerCase()).join(', ')}
  --tag TAG          only runs carrying this tag (repeatable: every one of them)
  --dry-run          list what would be deleted; delete nothing
  --json             print {"deleted": [{"id", "name", "flowName", "state", "endTime"}], "kept", "dryRun"}
  -h, --help         this help

At least one of --keep and --older-than is needed. The editor keeps flowdeck.runHistoryLimit runs;
\`flowdeck serve --keep-runs N\` and \`flowdeck worker --keep-runs N\` keep a store pruned while they run.`;

const DAY_MS = 86_400_000;

/** `30d`, `12h`, `90m`, `45s`, `2w` in milliseconds (durationInput.ts); a bare number is days. */
export function parseAge(text: string, option: string): number {
  const ms = parseDuration(text, { bare: 'd' });
  if (ms === undefined || ms <= 0 || ms > 100 * 365 * DAY_MS) {
    throw new UsageError(`${option} takes an age such as 30d, 12h, 90m, 45s or 2w (up to 100 years, more than 0), got '${text}'`);
  }
  return ms;
}

/**
 * `--state` values (any case), as `runs --state` takes them: a finished state's type (`failed`, with TimedOut)
 * or the name of one within it (`timedout`); a state of runs not finished is refused, saying why.
 */
function endedStatesOf(values: readonly string[]): StateFilter {
  return stateFilterOf(values, ENDED, ENDED_NAMES, (v) => {
    const wanted = v.trim().toLowerCase();
    const unfinished = STATE_NAMES.some((n) => n.toLowerCase() === wanted || stateType(n).toLowerCase() === wanted);
    return new UsageError(`--state takes a finished run's state: a type, one of ${ENDED.map((t) => t.toLowerCase()).join(', ')}, or a name, one of ${ENDED_NAMES.map((n) => n.toLowerCase()).join(', ')}; got '${v}'${unfinished ? ', a state of runs not finished, which are never pruned' : ''}`);
  });
}

export async function pruneCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('prune', argv, {
    keep: { type: 'string' },
    'older-than': { type: 'string' },
    flow: { type: 'string', multiple: true },
    tag: { type: 'string', multiple: true },
    state: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    write(io.stdout, PRUNE_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`flowdeck prune takes no arguments, got '${positionals[0]}'; \`flowdeck delete <run>\` deletes runs by name\n\n${PRUNE_HELP}`);
  if (values.keep === undefined && values['older-than'] === undefined) throw new UsageError(`flowdeck prune needs --keep N or --older-than AGE (or both): what to keep\n\n${PRUNE_HELP}`);
  const rule: RetentionRule = {};
  if (values.keep !== undefined) {
    rule.keep = wholeNumberOption('--keep', values.keep, 0);
  }
  if (values['older-than'] !== undefined) rule.endedBefore = Date.now() - parseAge(values['older-than'], '--older-than');
  const states = values.state === undefined ? { stateTypes: ENDED, stateNames: [] } : endedStatesOf(values.state);
  const tags = values.tag === undefined ? {} : { tags: checkedTags(values.tag, '--tag', knownSecrets(io.env)) };
  const dryRun = values['dry-run'] === true;
  const out = values.json ? io.stderr : io.stdout;
  const store = await openStore(io, dryRun ? 'read' : 'write');
  try {
    const listed = await store.list({ rootsOnly: true, ...states, ...(values.flow ? { flowNames: values.flow } : {}), ...tags });
    const doomed = runsToPrune(listed, rule);
    const kept = listed.length - doomed.length;
    // Not push(...doomed): past ~125,000 runs, spread as arguments, a RangeError.
    const deleted: FlowRunSummary[] = dryRun ? doomed.slice() : [];
    if (!dryRun) {
      const progress = doomed.length > CHUNK && (io.stderr as { isTTY?: boolean }).isTTY === true;
      for (let i = 0; i < doomed.length; i += CHUNK) {
        const chunk = doomed.slice(i, i + CHUNK);
        const gone = new Set(await store.delete(chunk.map((r) => r.id)));
        deleted.push(...chunk.filter((r) => gone.has(r.id)));
        if (progress) io.stderr.write(`\rDeleting runs: ${(i + chunk.length).toLocaleString('en-US')} of ${doomed.length.toLocaleString('en-US')}…`);
      }
      if (progress) io.stderr.write('\n');
    }
    if (values.json) {
      const rows = deleted.map((r) => ({ id: r.id, name: r.name, flowName: r.flowName, state: stateJson(r.state), endTime: r.endTime === undefined ? null : new Date(r.endTime).toISOString() }));
      write(io.stdout, JSON.stringify({ deleted: rows, kept, dryRun }));
    } else if (dryRun && deleted.length > 0) printTable(deleted, out);
    const which = `finished run${listed.length === 1 ? '' : 's'}${values.flow ? neutraliseTerminal(` of ${values.flow.map((f) => `'${f}'`).join(', ')}`) : ''}${tags.tags ? ` tagged ${tags.tags.map((t) => `'${t}'`).join(' and ')}` : ''}`;
    const n = (k: number): string => k.toLocaleString('en-US');
    if (dryRun) write(out, `Would delete ${n(deleted.length)} of ${n(listed.length)} ${which} in ${store.location}, keeping ${n(kept)}; nothing was deleted (--dry-run).`);
    else if (doomed.length === 0) write(out, `Nothing to prune: ${listed.length === 0 ? `no ${which}` : `all ${n(listed.length)} ${which} are kept by the rule`} in ${store.location}.`);
    else write(out, `Deleted ${n(deleted.length)} of ${n(listed.length)} ${which} in ${store.location} (with their subflow runs, logs and results); kept ${n(listed.length - deleted.length)}.`);
    // A run resumed while the prune went is kept, and says so.
    const missed = doomed.length - deleted.length;
    if (!dryRun && missed > 0) write(io.stderr, `${n(missed)} of them changed meanwhile (resumed, say) and were kept.`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** What a dry run would delete, as `flowdeck runs` lists runs. */
function printTable(runs: readonly FlowRunSummary[], out: NodeJS.WritableStream): void {
  const header = ['NAME', 'FLOW', 'STATE', 'ENDED', 'ID'];
  const rows = runs.map((r) => [r.name, r.flowName, r.state.name, r.endTime === undefined ? '-' : new Date(r.endTime).toISOString(), r.id].map(neutraliseTerminal));
  for (const line of textTableLines(header, rows)) write(out, line);
}
