import { parseArgs } from 'node:util';
import type { FlowRunSummary } from '../../engine/records';
import { openStore } from '../host';
import { EXIT, UsageError, write, type CliIo } from '../io';
import { runJson } from '../runJson';

export const RUNS_HELP = `Usage: flowdeck runs [--json] [--limit N] [--flow NAME]

Lists run history, newest first.

Options:
  --limit N      at most N runs (default 20)
  --flow NAME    only runs of this flow
  --json         a JSON array of runs (the shape of \`flowdeck run --json\`)
  -h, --help     this help`;

function age(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function duration(r: FlowRunSummary): string {
  if (r.startTime === undefined) return '-';
  const ms = (r.endTime ?? Date.now()) - r.startTime;
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export async function runsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { json: { type: 'boolean' }, limit: { type: 'string' }, flow: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    write(io.stdout, RUNS_HELP);
    return EXIT.ok;
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number ≥ 1, got '${values.limit}'`);
  const store = openStore(io);
  const runs = store.list({ limit, flowName: values.flow });
  if (values.json) {
    write(io.stdout, JSON.stringify(runs.map((r) => runJson(store.readRun(r.id)!)), null, 2));
    return EXIT.ok;
  }
  if (runs.length === 0) {
    write(io.stdout, 'No runs yet. Start one with `flowdeck run <file.flow.ts>` or `flowdeck run github-repo-stats`.');
    return EXIT.ok;
  }
  const now = Date.now();
  const rows = runs.map((r) => [r.name, r.flowName, r.state.name, duration(r), age(now - r.created), r.id]);
  const header = ['NAME', 'FLOW', 'STATE', 'DURATION', 'CREATED', 'ID'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) write(io.stdout, row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  return EXIT.ok;
}
