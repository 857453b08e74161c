/** `flowdeck delete`: deletes finished runs, each with its subflow runs, logs, results and artifacts. */
import type { FlowRunSummary } from '../../engine/records';
import { isTerminal, stateLabel } from '../../engine/states';
import { neutraliseTerminal } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { resolveRunRef } from '../resolveRun';
import { stateJson } from '../runJson';

/** At most this many runs named on one command line. */
const MAX_RUNS = 1000;

export const DELETE_HELP = `Usage: flowdeck delete <run id, unique id prefix, or name>... [--json]

Deletes finished runs (Completed, Failed, Cancelled, Crashed) from the store: each with its subflow runs,
logs, results and artifacts. A run going, paused or suspended is not deleted: cancel it first. Every run
named is checked before any is deleted. \`flowdeck prune\` deletes runs by age or count.

Options:
  --json       print {"deleted": [{"id", "name", "flowName", "state", "subflowRuns"}]} on stdout
  -h, --help   this help

Exit codes: 0 every run named was deleted; 1 one changed meanwhile (resumed, say) and was kept; 2 no
such run, a run not finished or a subflow run named (nothing is deleted then), or bad options.`;

export async function deleteCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('delete', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, DELETE_HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError(`flowdeck delete takes the runs to delete (ids, id prefixes or names); \`flowdeck runs\` lists them\n\n${DELETE_HELP}`);
  if (positionals.length > MAX_RUNS) throw new UsageError(`flowdeck delete takes at most ${MAX_RUNS} runs at once, got ${positionals.length}; \`flowdeck prune\` deletes runs by age or count`);
  const store = await openStore(io);
  try {
    const named = new Map<string, FlowRunSummary>();
    let refused = false;
    for (const ref of positionals) {
      const run = await resolveRunRef(store, ref, io, 'delete');
      if (!run) {
        refused = true;
        continue;
      }
      const problem = await whyNot(run, (id) => store.get(id));
      if (problem) {
        write(io.stderr, neutraliseTerminal(`flowdeck delete: ${problem}`));
        refused = true;
      } else named.set(run.id, run);
    }
    if (refused) {
      write(io.stderr, 'Nothing was deleted.');
      return EXIT.badInput;
    }
    // Each run's tree, counted before it goes: how many subflow runs went with it.
    const trees = new Map<string, number>();
    for (const run of named.values()) trees.set(run.id, (await store.runTree(run.id)).length - 1);
    const deleted = new Set(await store.delete([...named.keys()]));
    const gone = [...named.values()].filter((r) => deleted.has(r.id));
    const kept = [...named.values()].filter((r) => !deleted.has(r.id));
    if (values.json) {
      write(io.stdout, JSON.stringify({ deleted: gone.map((r) => ({ id: r.id, name: r.name, flowName: r.flowName, state: stateJson(r.state), subflowRuns: trees.get(r.id) ?? 0 })) }));
    }
    const out = values.json ? io.stderr : io.stdout;
    for (const r of gone) {
      const subflows = trees.get(r.id) ?? 0;
      write(out, neutraliseTerminal(`Deleted flow run '${r.name}' of ${r.flowName} (${stateLabel(r.state)})${subflows > 0 ? ` with its ${subflows} subflow run${subflows === 1 ? '' : 's'}` : ''}`));
    }
    for (const r of kept) {
      const now = await store.get(r.id);
      const why = !now ? 'it is gone (deleted by another process meanwhile)' : isTerminal(now.state.type) ? 'it is being resumed (its flow loading); delete it once it ends' : `it is ${stateLabel(now.state)} now: resumed meanwhile`;
      write(io.stderr, neutraliseTerminal(`flowdeck delete: flow run '${r.name}' was kept: ${why}`));
    }
    return kept.length === 0 ? EXIT.ok : EXIT.runFailed;
  } finally {
    await store.close();
  }
}

/** Why a run named cannot be deleted (not finished, a subflow run), or undefined. */
async function whyNot(run: FlowRunSummary, get: (id: string) => Promise<FlowRunSummary | undefined>): Promise<string | undefined> {
  if (run.parentRunId !== undefined) {
    const parent = await get(run.parentRunId);
    return `'${run.name}' is a subflow run; delete the run it belongs to${parent ? ` ('${parent.name}')` : ''}, which deletes its subflow runs with it`;
  }
  if (isTerminal(run.state.type)) return undefined;
  const what = run.state.name === 'Suspended' || run.state.type === 'PAUSED' ? `${run.state.name}, waiting for input` : run.state.name;
  return `flow run '${run.name}' is ${what}, not finished: cancel it first (\`flowdeck cancel ${run.name}\`), then delete it`;
}
