/** What the schedule commands share: the schedules declared in flow files under some paths, and how they print. */
import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { discoverFile, findFlowFiles, type FileFlows } from '../engine/flowDiscovery';
import { declaredEntries, type ScheduleEntry, type ScheduleView } from '../engine/schedules/scheduleEntries';
import { describeSchedule, secretParametersRefusal } from '../engine/schedules/scheduleSpec';
import { neutraliseTerminal } from '../engine/terminalText';
import { UsageError, type CliIo } from './io';
import { textTableLines } from './textTable';

export interface Declared {
  files: FileFlows[];
  entries: ScheduleEntry[];
}

/** Discovers the flow files under `paths` (default: the current folder) and the schedules they declare. */
export async function declaredIn(paths: readonly string[], io: CliIo): Promise<Declared> {
  const targets = (paths.length > 0 ? paths : ['.']).map((p) => resolve(io.cwd, p));
  for (const t of targets) if (!existsSync(t)) throw new UsageError(`no such file or folder: ${t}`);
  const files = [...new Set(targets.flatMap((t) => findFlowFiles(t)))].map(discoverFile);
  return { files, entries: await declaredEntries(files) };
}

/** `file:line:col: error: message` for each file whose flows (and schedules) cannot be read. */
export function fileErrors(files: readonly FileFlows[], io: CliIo): string[] {
  return files.filter((f) => f.error).map((f) => neutraliseTerminal(`${shown(f.file, io)}${f.error!.line === undefined ? '' : `:${f.error!.line}:${f.error!.column ?? 1}`}: error: ${f.error!.message}`));
}

export function shown(file: string, io: CliIo): string {
  return relative(io.cwd, file) || file;
}

/** Local time, with the date when it is not today: `09:00:00`, `2025-06-02 09:00:00`. */
export function localTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return new Date(now).toDateString() === d.toDateString() ? clock : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
}

export function whereFrom(entry: ScheduleEntry, io: CliIo): string {
  if (entry.location) return `${shown(entry.location.file, io)}:${entry.location.line}`;
  return entry.source.startsWith('builtin:') ? entry.source : shown(entry.source, io);
}

/** One line a schedule: id, flow, when, next run, state, where it is written. */
export function scheduleRows(views: readonly ScheduleView[], io: CliIo): string[] {
  const now = Date.now();
  // A TAGS column when a schedule has tags of its own.
  const tagged = views.some((v) => v.entry.schedule.tags !== undefined);
  const rows = views.map((v) => [
    v.entry.id,
    v.entry.flowName,
    describeEntry(v.entry),
    v.paused || v.refused !== undefined ? '-' : v.next === undefined ? 'never' : localTime(v.next, now),
    stateOf(v),
    ...(tagged ? [v.entry.schedule.tags?.join(',') ?? ''] : []),
    `${v.entry.origin === 'code' ? 'code' : 'store'} ${whereFrom(v.entry, io)}`,
  ]);
  const header = ['ID', 'FLOW', 'SCHEDULE', 'NEXT', 'STATE', ...(tagged ? ['TAGS'] : []), 'SOURCE'];
  return textTableLines(header, rows).map(neutraliseTerminal);
}

/**
 * What a schedule says, as `describeSchedule`; a cron declared without a timezone that no scheduler has
 * recorded one for yet (zonedEntry) says it is read in this machine's until one does.
 */
export function describeEntry(entry: ScheduleEntry): string {
  const text = describeSchedule(entry.schedule);
  return entry.zoneFrom === 'machine' ? `${text.slice(0, -1)}: this machine's, until a serve or window records one)` : text;
}

/**
 * The JSON of `flowdeck schedules --json` (and `schedule add --json`). Every field of a schedule is there,
 * a default as it applies: a cron's timezone as resolved (a declared one's as the store recorded it, zonedEntry;
 * the machine's when none is named or recorded; `null`
 * for an interval, which counts from 1970-01-01T00:00:00Z), parameters `{}`, catchup `latest`, overlap
 * `skip`, tags `[]` — a consumer reads them without knowing the defaults.
 */
export function scheduleJson(v: ScheduleView) {
  const { entry } = v;
  const s = entry.schedule;
  return {
    id: entry.id,
    flowName: entry.flowName,
    source: entry.source,
    origin: entry.origin,
    ...(entry.location ? { location: entry.location } : {}),
    ...(s.cron !== undefined ? { cron: s.cron } : { intervalSeconds: s.intervalSeconds }),
    timezone: s.cron !== undefined ? (s.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone) : null,
    parameters: s.parameters ?? {},
    catchup: s.catchup ?? 'latest',
    overlap: s.overlap ?? 'skip',
    tags: s.tags ?? [],
    state: stateOf(v),
    next: v.next === undefined ? null : new Date(v.next).toISOString(),
  };
}

/** `refused`: its parameters hold a secret, and no scheduler runs it (refusedSchedules says why); else paused or active. */
function stateOf(v: ScheduleView): 'active' | 'paused' | 'refused' {
  return v.refused !== undefined ? 'refused' : v.paused ? 'paused' : 'active';
}

/** Why each refused schedule is not run, a line each, as a file's error is said. */
export function refusedSchedules(views: readonly ScheduleView[], io: CliIo): string[] {
  return views.flatMap((v) =>
    v.refused === undefined ? [] : [neutraliseTerminal(`${whereFrom(v.entry, io)}: error: schedule ${v.entry.id} of flow '${v.entry.flowName}' is not run: ${secretParametersRefusal(v.refused)}`)],
  );
}
