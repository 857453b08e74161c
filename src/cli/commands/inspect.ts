/**
 * `flowdeck inspect <run>` (Prefect's `flow-run inspect`): one run in a terminal — its state and where it
 * failed, attempt, trigger, times, parameters, result, artifacts, its task runs (a bounded table with counts
 * by state) and what to do next. `--json` prints what `flowdeck run --json` prints for it.
 */
import { givenInputsText } from '../../engine/givenInputsText';
import { decimalNumber } from '../decimalNumber';
import { formatDuration } from '../../engine/durationText';
import { runTriggerText } from '../../engine/runTrigger';
import { neverStartedNote, neverStartedSlot } from '../../engine/schedules/neverStartedSlot';
import { isSettled } from '../../engine/states';
import type { ArtifactInfo } from '../../engine/artifactInfo';
import type { FlowRunDetail, TaskRunRecord } from '../../engine/records';
import type { RunParts } from '../../engine/runTaskStream';
import { isRunDeletedWhileRead } from '../../engine/storeErrors';
import { neutraliseTerminal } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, writeDrained, type CliIo } from '../io';
import { resolveRunRef } from '../resolveRun';
import { runJson } from '../runJson';
import { writeRunJson } from '../runJsonStream';
import { terminalStateName } from '../terminalStyle';
import { textTableLines } from '../textTable';

export const INSPECT_HELP = `Usage: flowdeck inspect <run id, unique id prefix, or name> [--tasks N] [--json]

One run in detail (Prefect's flow-run inspect): its state and, when it failed, the error and the line of
your code it came from; its attempt, trigger, times, parameters, result and artifacts; its task runs, counted
by state, in a table; and the commands that go on from there.

Options:
  --tasks N    task runs in the table: the first N, and every failed one up to N (default 20; 0: counts only)
  --json       the run as \`flowdeck run --json\` prints it, every task run included
  -h, --help   this help

Examples:
  flowdeck inspect brave-otter
  flowdeck inspect 0193 --tasks 100`;

const FIELD = 11;
const MAX_TASKS_SHOWN = 10_000;
const MAX_TEXT = 400;

function cut(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function stamp(ms: number | undefined): string {
  return ms === undefined ? '—' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export async function inspectCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('inspect', argv, { tasks: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, INSPECT_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck inspect takes one run (id, unique id prefix or name), got ${positionals.length}\n\n${INSPECT_HELP}`);
  const shown = values.tasks === undefined ? 20 : decimalNumber(values.tasks);
  if (shown === undefined || shown < 0 || shown > MAX_TASKS_SHOWN) throw new UsageError(`--tasks takes a whole number from 0 to ${MAX_TASKS_SHOWN.toLocaleString('en-US')}, got '${neutraliseTerminal(values.tasks ?? '')}'`);
  const store = await openStore(io, 'read');
  try {
    const summary = await resolveRunRef(store, positionals[0]!, io, 'inspect');
    if (!summary) return EXIT.badInput;
    // Its artifacts are named, never shown (`flowdeck artifacts` shows them): their data is left unread.
    const parts = await store.readRunParts(summary.id, { artifactData: false });
    if (!parts) {
      write(io.stderr, neutraliseTerminal(`flowdeck inspect: run '${summary.name}' was deleted as it was read`));
      return EXIT.badInput;
    }
    // Listed, but its journal is gone: its parameters, task runs and result would read as empty — say so.
    if (parts.detail.missingJournal) {
      write(io.stderr, neutraliseTerminal(`flowdeck inspect: the journal of run '${summary.name}' is missing from ${store.location}: its parameters, task runs and result are gone (\`flowdeck runs\` shows its last state: ${summary.state.name})`));
      return EXIT.runFailed;
    }
    if (values.json) {
      // Drained as it goes: a run of a million task runs is tens of MB, never held (a slow reader, a pipe).
      await writeRunJson(parts, store, (text) => writeDrained(io.stdout, text), { loadResultFiles: true, nested: false });
      await writeDrained(io.stdout, '\n');
      return EXIT.ok;
    }
    // Task runs in one pass, held only as many as shown: counts by state, the first ones and failed ones.
    const counts = new Map<string, number>();
    const first: TaskRunRecord[] = [];
    const failed: TaskRunRecord[] = [];
    let total = 0;
    let cutShort = false;
    try {
      await parts.readTaskRuns((taskRuns) => {
        for (const t of taskRuns) {
          total++;
          counts.set(t.state.name, (counts.get(t.state.name) ?? 0) + 1);
          if (first.length < shown) first.push(t);
          else if (t.state.type === 'FAILED' && failed.length < shown) failed.push(t);
        }
      });
    } catch (e) {
      if (!isRunDeletedWhileRead(e)) throw e;
      cutShort = true;
    }
    const lines = await describe(parts.detail, store, { counts, total, rows: [...first, ...failed], stateName: terminalStateName(io.stdout) });
    for (const line of lines) write(io.stdout, line);
    if (cutShort) write(io.stderr, neutraliseTerminal(`flowdeck inspect: run '${summary.name}' was deleted while its task runs were read; those above are what was read`));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

interface TaskPart {
  counts: ReadonlyMap<string, number>;
  total: number;
  rows: readonly TaskRunRecord[];
  /** The run's state as `flowdeck runs` shows it (coloured in a terminal). */
  stateName: (state: Pick<FlowRunDetail['state'], 'type' | 'name'>, width: number) => string;
}

async function describe(run: RunParts<ArtifactInfo>['detail'], store: Parameters<typeof runJson>[1], tasks: TaskPart): Promise<string[]> {
  const out: string[] = [];
  const field = (label: string, value: string): void => void out.push(`${label.padEnd(FIELD)}${neutraliseTerminal(value)}`);
  const s = run.state;
  field('Run', `${run.name} (${run.id})`);
  field('Flow', `${run.flowName} · ${run.source.startsWith('builtin:') ? 'built-in' : run.source}`);
  out.push(`${'State'.padEnd(FIELD)}${tasks.stateName(s, 0)}${s.message ? neutraliseTerminal(` — ${cut(s.message)}`) : ''}`);
  if (s.failure?.frame) field('Failed at', `${s.failure.frame.file}:${s.failure.frame.line}:${s.failure.frame.column} (${s.failure.name})`);
  if (s.type === 'PAUSED' && s.pause) field('Waits', `until ${stamp(s.pause.until)}${s.pause.input ? ` for ${Object.keys(s.pause.input).join(', ')}` : ''}`);
  field('Attempt', String(run.attempt));
  field('Trigger', runTriggerText(run));
  if (run.tags !== undefined) field('Tags', run.tags.join(', '));
  if (run.parentRunId) {
    const parent = await store.get(run.parentRunId);
    field('Subflow of', parent ? `${parent.name} (${parent.id})` : run.parentRunId);
  }
  field('Created', stamp(run.created));
  field('Started', stamp(run.startTime));
  const took = run.startTime !== undefined && run.endTime !== undefined ? ` (${formatDuration(run.endTime - run.startTime)})` : '';
  field('Ended', `${stamp(run.endTime)}${took}`);
  field('Parameters', cut(JSON.stringify(run.parameters)));
  const json = await runJson(run, store, { loadResultFiles: false });
  field('Result', json.resultNote ?? (json.resultBytes !== undefined ? `kept in a file of ${json.resultBytes.toLocaleString('en-US')} bytes (\`flowdeck inspect ${run.name} --json\` prints it)` : json.result === null || json.result === undefined ? '—' : cut(JSON.stringify(json.result))));
  // What each pause was resumed with — or that it timed out and the flow went on — by the pause's key.
  const inputs = givenInputsText(run.inputs);
  if (inputs !== undefined) field('Inputs', inputs);
  if (run.artifacts && run.artifacts.length > 0) field('Artifacts', `${cut(run.artifacts.map((a) => a.key).join(', '), 200)} (\`flowdeck artifacts ${run.name}\`)`);
  if (run.skippedRecords > 0) field('Skipped', `${run.skippedRecords} journal line(s) that could not be read`);

  out.push('');
  const byState = [...tasks.counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${n.toLocaleString('en-US')} ${name}`);
  out.push(tasks.total === 0 ? 'Task runs: none' : `Task runs: ${tasks.total.toLocaleString('en-US')} — ${byState.join(', ')}`);
  if (tasks.rows.length > 0) {
    const rows = tasks.rows.map((t) => [
      neutraliseTerminal(t.name),
      t.state.name,
      t.startTime !== undefined && t.endTime !== undefined ? formatDuration(t.endTime - t.startTime) : '—',
      String(t.attempts),
      neutraliseTerminal(cut(t.state.message ?? '', 120)),
    ]);
    out.push(...textTableLines(['NAME', 'STATE', 'DURATION', 'ATTEMPTS', 'MESSAGE'], rows).map((l) => l.trimEnd()));
    if (tasks.total > tasks.rows.length) out.push(`… ${(tasks.total - tasks.rows.length).toLocaleString('en-US')} more (\`--tasks N\` shows more; \`--json\` every one)`);
  }

  out.push('');
  const next = [`flowdeck logs ${run.name}`];
  const root = run.parentRunId === undefined;
  const schedule = neverStartedSlot(run);
  if (s.type === 'PAUSED') next.push(...(root ? [`flowdeck resume ${run.name}`] : []), `flowdeck cancel ${run.name}`);
  else if (!isSettled(s)) next.push(`flowdeck logs ${run.name} --follow`, `flowdeck cancel ${run.name}`);
  else if (schedule !== undefined) {
    // A slot's run left by a process that died before starting it: a scheduler of its schedule takes the slot over
    // (runs it) or deletes it, so a resume by hand would run the slot twice.
    next.push(neverStartedNote(schedule), `flowdeck delete ${run.name}`);
  } else if (s.type !== 'COMPLETED' && root) next.push(`flowdeck resume ${run.name} (from its checkpoints)`);
  out.push(`Next: ${next.map(neutraliseTerminal).join('  ·  ')}`);
  return out;
}
