import { formatDuration } from '../../engine/durationText';
import { decimalNumber } from '../decimalNumber';
import { flowRunTag, WAITING_FOR_FLOW_SLOT } from '../../engine/limits/flowRunSlot';
import { LIMIT_TAG, MAX_LIMIT, type LeaseInfo } from '../../engine/limits/limitStore';
import type { RunStore } from '../../engine/runStore';
import { neutraliseTerminal } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { knownSecrets } from '../knownSecrets';

export const LIMIT_HELP = `Usage: flowdeck limit set <tag> <n>
       flowdeck limit ls [--json]
       flowdeck limit rm <tag>

Concurrency limits by tag: at most n task runs whose tags include <tag> run at once, across every
process sharing the store (CLI runs, \`flowdeck serve\`, workers, editor windows; on Postgres, every
machine). The others wait in state AwaitingConcurrencySlot until a slot is free; a slot held by a process
that died is free at once (on Postgres, once its lease lapses). \`limit ls\` shows which runs hold slots,
and the flows whose own concurrencyLimit (set in their code) has runs holding or waiting for a slot.
The built-in flows tag their API tasks github-api and youtube-api. A limit of 0 stops the tag's task runs:
each fails at once, not retried (those running go on), until the limit is raised or removed. So does a
damaged limit file (limits/<tag>.json): \`limit ls\` names it; \`limit set\` or \`limit rm\` mends it.

Options:
  --json       with ls: print the limits as JSON
  -h, --help   this help

Examples:
  flowdeck limit set github-api 2
  flowdeck limit ls`;

interface Holder {
  runId: string;
  /** Undefined when the run is not (or no longer) in the store. */
  runName?: string;
  flowName?: string;
  taskRunIds: string[];
  /** Epoch ms the run's first slot was taken. */
  since: number;
}

/** Who holds a tag's slots, by flow run (oldest first). */
async function holdersOf(store: RunStore, leases: readonly LeaseInfo[]): Promise<Holder[]> {
  const byRun = new Map<string, Holder>();
  for (const l of leases) {
    const h = byRun.get(l.holder.runId);
    if (h) {
      h.taskRunIds.push(l.holder.taskRunId);
      h.since = Math.min(h.since, l.since);
    } else byRun.set(l.holder.runId, { runId: l.holder.runId, taskRunIds: [l.holder.taskRunId], since: l.since });
  }
  for (const h of byRun.values()) {
    const run = await store.get(h.runId);
    if (run) Object.assign(h, { runName: run.name, flowName: run.flowName });
  }
  return [...byRun.values()].sort((a, b) => a.since - b.since);
}

/**
 * Flows whose own concurrency limit (in their code, not the store) has runs holding a slot or waiting for
 * one now: the flows of the history, each asked for its slots' leases.
 */
async function flowSlots(store: RunStore): Promise<{ flow: string; tag: string; active: number; waiting: number; holders: Holder[] }[]> {
  const out = [];
  for (const f of await store.flows()) {
    const tag = flowRunTag(f.flowName);
    const leases = await store.limits.leases(tag);
    // Pending in a process, or (a queued run a worker gave back) AwaitingConcurrencySlot on its queue.
    const pending = await store.list({ flowNames: [f.flowName], stateTypes: ['PENDING', 'SCHEDULED'] });
    const waiting = pending.filter((r) => r.state.message?.startsWith(WAITING_FOR_FLOW_SLOT) === true).length;
    if (leases.length > 0 || waiting > 0) out.push({ flow: f.flowName, tag, active: leases.length, waiting, holders: await holdersOf(store, leases) });
  }
  return out;
}

export async function limitCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('limit', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    write(values.help ? io.stdout : io.stderr, LIMIT_HELP);
    return values.help ? EXIT.ok : EXIT.badInput;
  }
  switch (action) {
    case 'set': {
      if (rest.length !== 2) throw new UsageError(`limit set takes a tag and a number, like \`flowdeck limit set github-api 2\``);
      const [tag, text] = rest as [string, string];
      if (!LIMIT_TAG.test(tag)) throw new UsageError(`'${tag}' cannot be limited: a tag to limit is 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit`);
      const n = decimalNumber(text);
      if (n === undefined || n > MAX_LIMIT) throw new UsageError(`the limit must be a whole number from 0 to ${MAX_LIMIT} (0 stops the task runs of the tag), got '${text}'`);
      const store = await openStore(io);
      try {
        // As `--tag` refuses one: a limit's tag is a file name (or a row) and shown by `limit ls`, never masked.
        if (knownSecrets(io.env, store.home).mask(tag) !== tag) throw new UsageError(`limit set was given a secret's value as its tag (GITHUB_TOKEN, a stored token…): a limit's tag is kept in the store and shown by \`flowdeck limit ls\`, never masked, so nothing was set; use a plain name`);
        await store.limits.set(tag, n);
      } finally {
        await store.close();
      }
      write(io.stdout, n === 0 ? `Task runs tagged '${tag}' are stopped: each fails at once, not retried, until the limit is raised (\`flowdeck limit set ${tag} N\`) or removed; those running now go on.` : `At most ${n} task run${n === 1 ? '' : 's'} tagged '${tag}' at once.`);
      return EXIT.ok;
    }
    case 'rm': {
      if (rest.length !== 1) throw new UsageError('limit rm takes one tag');
      const store = await openStore(io);
      try {
        if (!(await store.limits.remove(rest[0]!))) {
          write(io.stderr, `flowdeck: no concurrency limit on tag '${rest[0]}' (see \`flowdeck limit ls\`)`);
          return EXIT.badInput;
        }
      } finally {
        await store.close();
      }
      write(io.stdout, `Removed the concurrency limit on '${rest[0]}'.`);
      return EXIT.ok;
    }
    case 'ls': {
      if (rest.length !== 0) throw new UsageError('limit ls takes no arguments');
      const store = await openStore(io, 'read');
      try {
        const limits = await Promise.all(
          (await store.limits.list()).map(async (l) => {
            const leases = await store.limits.leases(l.tag);
            // A limit that cannot be read has none to show (its task runs are not run): `unreadable` says why.
            const { limit, ...rest } = l;
            return { ...rest, ...(l.unreadable === undefined ? { limit } : {}), active: leases.length, holders: await holdersOf(store, leases) };
          }),
        );
        const flows = await flowSlots(store);
        // Damaged limit files: said on stderr too, where --json's reader is not the only one to see it.
        if (values.json) for (const l of limits) if (l.unreadable !== undefined) write(io.stderr, neutraliseTerminal(`flowdeck limit ls: ${l.unreadable}; its task runs fail until then.`));
        // A flow's slots are items with `flow` (and no `limit`: it is in the flow's code).
        if (values.json) write(io.stdout, JSON.stringify([...limits, ...flows], null, 2));
        else if (limits.length === 0 && flows.length === 0) write(io.stdout, 'No concurrency limits. Set one with `flowdeck limit set <tag> <n>`.');
        else {
          const now = Date.now();
          for (const l of limits) {
            if (l.unreadable !== undefined) write(io.stdout, neutraliseTerminal(`${l.tag}  ${l.active} in use; unreadable: ${l.unreadable}. Its task runs fail until then, rather than run unlimited.`));
            else write(io.stdout, `${l.tag}  ${l.active}/${l.limit} in use${l.limit === 0 ? ' (0: its task runs are stopped)' : ''}`);
            for (const h of l.holders) {
              const runs = h.taskRunIds.length === 1 ? '1 task run' : `${h.taskRunIds.length} task runs`;
              write(io.stdout, neutraliseTerminal(`  ${h.runName === undefined ? `run ${h.runId}` : `flow run '${h.runName}' (${h.flowName})`}: ${runs}, the first for ${formatDuration(Math.max(0, now - h.since))}`));
            }
          }
          for (const f of flows) {
            write(io.stdout, neutraliseTerminal(`flow '${f.flow}'  ${f.active} in use, ${f.waiting} waiting (its concurrencyLimit, in its code)`));
            for (const h of f.holders) write(io.stdout, neutraliseTerminal(`  flow run '${h.runName ?? h.runId}': for ${formatDuration(Math.max(0, now - h.since))}`));
          }
        }
      } finally {
        await store.close();
      }
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown limit action '${action}'\n\n${LIMIT_HELP}`);
  }
}
