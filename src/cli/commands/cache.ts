/** `flowdeck cache ls|clear`: the task results kept for caching (a task's `cacheKey`), and clearing them. */
import { bytesText } from '../../engine/bytesText';
import { MAX_CACHE_ENTRIES_LISTED, isExpired, type CacheEntry } from '../../engine/resultCache';
import type { RunStore } from '../../engine/runStore';
import { neutraliseTerminal } from '../../engine/terminalText';
import { ageText } from '../../engine/ageText';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { textTableLines } from '../textTable';
import { parseAge } from './prune';

export const CACHE_HELP = `Usage: flowdeck cache ls [--task NAME]... [--expired] [--older-than AGE] [--json]
       flowdeck cache clear (--task NAME... | --expired | --older-than AGE | --all) [--dry-run] [--json]

The results tasks keep for caching (task({ cacheKey }), cacheKey: taskInputHash), shared by every run,
process and machine using the store: which task each is of, the run that cached it, when, until when, its
size. Clear a task's results after the data behind them changed — or run with \`flowdeck run --refresh-cache\`,
which replaces them as the run goes. Expired results are never returned, and are purged once a day.

Options:
  --task NAME   only the results of this task (its name in task({ name })); repeatable
  --expired     only expired results
  --older-than AGE   only results cached longer ago than AGE: 30d, 12h, 90m, 45s, 2w (and those
                cached before Flowdeck kept the time)
  --all         clear: every result
  --dry-run     clear: list what would be removed, remove nothing
  --json        ls: [{"keyHash", "task", "runId", "cachedAt", "expiresAt", "bytes", "expired"}];
                clear: {"removed", "bytes", "dryRun"}
  -h, --help    this help

Results cached before this version have no task, run or time; \`--all\` or \`--expired\` clears them.

Examples:
  flowdeck cache ls
  flowdeck cache clear --task fetch-stars
  flowdeck cache clear --older-than 30d
  flowdeck cache clear --expired --dry-run`;

/** An entry as `cache ls --json` prints it. */
export interface CacheEntryJson {
  keyHash: string;
  task: string | null;
  runId: string | null;
  cachedAt: string | null;
  expiresAt: string | null;
  bytes: number;
  expired: boolean;
}

export async function cacheCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('cache', argv, {
    task: { type: 'string', multiple: true },
    expired: { type: 'boolean' },
    'older-than': { type: 'string' },
    all: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    write(values.help ? io.stdout : io.stderr, CACHE_HELP);
    return values.help ? EXIT.ok : EXIT.badInput;
  }
  if (rest.length > 0) throw new UsageError(`cache ${neutraliseTerminal(action)} takes no arguments, got '${neutraliseTerminal(rest[0]!)}' (a task is --task NAME)`);
  const tasks = values.task ?? [];
  if (tasks.some((t) => t.trim() === '')) throw new UsageError('--task needs a task name');
  const expiredOnly = values.expired === true;
  const olderThan = values['older-than'] === undefined ? undefined : parseAge(values['older-than'], '--older-than');
  const json = values.json === true;
  const filtered = tasks.length > 0 || expiredOnly || olderThan !== undefined;
  const matches = (e: CacheEntry, now: number): boolean =>
    (tasks.length === 0 || (e.task !== undefined && tasks.includes(e.task))) && (!expiredOnly || isExpired(e, now)) && (olderThan === undefined || (e.created ?? 0) < now - olderThan);
  const said = (): string => filterText(tasks, expiredOnly, values['older-than']);
  switch (action) {
    case 'ls': {
      if (values.all || values['dry-run']) throw new UsageError('--all and --dry-run go with cache clear');
      const store = await openStore(io, 'read');
      try {
        const now = Date.now();
        const all = await store.cache.entries();
        const entries = all.filter((e) => matches(e, now));
        if (json) {
          write(io.stdout, JSON.stringify(entries.map((e) => shown(e, now)), null, 2));
        } else if (entries.length === 0) {
          write(io.stdout, all.length === 0 ? 'No cached results. Tasks with a cacheKey (task({ cacheKey: taskInputHash })) keep theirs here.' : `No cached results ${said()}; ${count(all.length)} in all (\`flowdeck cache ls\`).`);
        } else {
          for (const line of await table(store, entries, now)) write(io.stdout, line);
          write(io.stdout, summary(entries, now));
        }
        if (all.length >= MAX_CACHE_ENTRIES_LISTED) write(io.stderr, `flowdeck cache: only the first ${MAX_CACHE_ENTRIES_LISTED.toLocaleString('en-US')} results were read`);
      } finally {
        await store.close();
      }
      return EXIT.ok;
    }
    case 'clear': {
      if (!filtered && values.all !== true) throw new UsageError('say what to clear: --task NAME, --expired, --older-than AGE or --all (--dry-run lists it first)');
      if (values.all && filtered) throw new UsageError('--all clears every result: give it alone, or --task/--expired/--older-than without it');
      const dryRun = values['dry-run'] === true;
      const store = await openStore(io, dryRun ? 'read' : 'write');
      try {
        let removed = 0;
        let bytes = 0;
        let rows: CacheEntry[] = [];
        // In rounds: a listing reads at most MAX_CACHE_ENTRIES_LISTED.
        for (;;) {
          const now = Date.now();
          const all = await store.cache.entries();
          const chosen = all.filter((e) => matches(e, now));
          if (dryRun) {
            rows = chosen;
            removed = chosen.length;
            bytes = chosen.reduce((n, e) => n + e.bytes, 0);
            break;
          }
          const gone = chosen.length === 0 ? 0 : await store.cache.remove(chosen.map((e) => e.keyHash));
          removed += gone;
          bytes += chosen.reduce((n, e) => n + e.bytes, 0);
          if (all.length < MAX_CACHE_ENTRIES_LISTED || gone === 0) break;
        }
        if (json) write(io.stdout, JSON.stringify({ removed, bytes, dryRun }));
        else if (dryRun) {
          if (rows.length > 0) for (const line of await table(store, rows, Date.now())) write(io.stdout, line);
          write(io.stdout, `Would remove ${count(removed)} (${bytesText(bytes)})${filtered ? ` ${said()}` : ''}.`);
        } else write(io.stdout, `Removed ${count(removed)} (${bytesText(bytes)})${filtered ? ` ${said()}` : ''}.`);
      } finally {
        await store.close();
      }
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown cache action '${neutraliseTerminal(action)}'; the actions are ls, clear\n\n${CACHE_HELP}`);
  }
}

function count(n: number): string {
  return `${n.toLocaleString('en-US')} cached result${n === 1 ? '' : 's'}`;
}

function filterText(tasks: readonly string[], expiredOnly: boolean, olderThan: string | undefined): string {
  const parts: string[] = [];
  if (tasks.length > 0) parts.push(`of task${tasks.length > 1 ? 's' : ''} ${tasks.map((t) => `'${neutraliseTerminal(t)}'`).join(', ')}`);
  if (expiredOnly) parts.push('expired');
  if (olderThan !== undefined) parts.push(`cached over ${neutraliseTerminal(olderThan.trim())} ago`);
  return parts.join(', ');
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function shown(e: CacheEntry, now: number): CacheEntryJson {
  return { keyHash: e.keyHash, task: e.task ?? null, runId: e.runId ?? null, cachedAt: iso(e.created), expiresAt: iso(e.expiresAt), bytes: e.bytes, expired: isExpired(e, now) };
}

function untilText(expiresAt: number | undefined, now: number): string {
  if (expiresAt === undefined) return 'never';
  if (expiresAt <= now) return `expired ${ageText(now - expiresAt)}`;
  return `in ${ageText(expiresAt - now).replace(/ ago$/, '')}`;
}

/** The table of entries, each run named as the store names it (the id when it is gone). */
async function table(store: RunStore, entries: readonly CacheEntry[], now: number): Promise<string[]> {
  const names = new Map<string, string>();
  // Named for the first runs only: a listing of many thousands does not read every run.
  for (const id of new Set(entries.map((e) => e.runId).filter((id): id is string => id !== undefined))) {
    if (names.size >= 500) break;
    names.set(id, (await store.get(id))?.name ?? `${id.slice(0, 8)} (deleted)`);
  }
  const rows = entries.map((e) =>
    [e.task ?? '—', e.created === undefined ? '—' : ageText(now - e.created), untilText(e.expiresAt, now), bytesText(e.bytes), e.runId === undefined ? '—' : (names.get(e.runId) ?? e.runId.slice(0, 8))].map(neutraliseTerminal),
  );
  return textTableLines(['TASK', 'CACHED', 'EXPIRES', 'SIZE', 'RUN'], rows);
}

function summary(entries: readonly CacheEntry[], now: number): string {
  const expired = entries.filter((e) => isExpired(e, now)).length;
  const bytes = entries.reduce((n, e) => n + e.bytes, 0);
  return `${count(entries.length)}, ${bytesText(bytes)}${expired > 0 ? `; ${expired.toLocaleString('en-US')} expired (never returned, purged once a day)` : ''}.`;
}
