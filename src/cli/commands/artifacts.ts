import { artifactSummary } from '../../engine/artifacts';
import { isRunDeletedWhileRead } from '../../engine/storeErrors';
import { neutraliseTerminal } from '../../engine/terminalText';
import { parseCommandArgs } from '../args';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { resolveRunRef } from '../resolveRun';
import { textTableLines } from '../textTable';

export const ARTIFACTS_HELP = `Usage: flowdeck artifacts <run id, unique id prefix, or name> [--json]

Lists the artifacts a run and its task runs created (the latest of each key): key, kind, task run and
a summary.

Options:
  --json       the run and its artifacts with their whole data, as one JSON document
  -h, --help   this help`;

export async function artifactsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('artifacts', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    write(io.stdout, ARTIFACTS_HELP);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError(`flowdeck artifacts takes one run id or name\n\n${ARTIFACTS_HELP}`);
  const store = await openStore(io, 'read');
  try {
    const run = await resolveRunRef(store, positionals[0]!, io, 'artifacts');
    if (!run) return EXIT.badInput;
    // Read in parts: the run's detail (its artifacts), then its task runs a batch at a time for the names of
    // those that made artifacts — a map of a million task runs is never held.
    const parts = await store.readRunParts(run.id);
    const detail = parts?.detail;
    if (!parts || !detail || detail.missingJournal) {
      write(io.stderr, `flowdeck artifacts: the journal of run '${run.name}' is missing from ${store.location}`);
      return EXIT.runFailed;
    }
    const taskNames = new Map<string, string>();
    const wanted = new Set((detail.artifacts ?? []).flatMap((a) => (a.taskRunId === undefined ? [] : [a.taskRunId])));
    if (wanted.size > 0) {
      try {
        await parts.readTaskRuns((taskRuns) => {
          for (const t of taskRuns) if (wanted.has(t.id)) taskNames.set(t.id, t.name);
        });
      } catch (e) {
        // Deleted (a prune in another process) after its first read: listed with the task run ids it has.
        if (!isRunDeletedWhileRead(e)) throw e;
      }
    }
    const artifacts = (detail.artifacts ?? []).map((a) => ({
      key: a.key,
      kind: a.data.kind,
      taskRun: a.taskRunId === undefined ? null : (taskNames.get(a.taskRunId) ?? a.taskRunId),
      created: new Date(a.ts).toISOString(),
      summary: artifactSummary(a.data),
      data: a.data,
    }));
    if (values.json) {
      write(io.stdout, JSON.stringify({ run: { id: run.id, name: run.name, flowName: run.flowName }, artifacts }, null, 2));
      return EXIT.ok;
    }
    if (artifacts.length === 0) {
      write(io.stdout, `Run '${run.name}' created no artifacts.`);
      return EXIT.ok;
    }
    const rows = artifacts.map((a) => [a.key, a.kind, a.taskRun ?? '-', a.summary].map((c) => neutraliseTerminal(c.replace(/\s+/g, ' '))));
    const header = ['KEY', 'KIND', 'TASK RUN', 'SUMMARY'];
    for (const line of textTableLines(header, rows)) write(io.stdout, line);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
