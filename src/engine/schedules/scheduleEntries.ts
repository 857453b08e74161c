/**
 * Every schedule in one shape, wherever it is written: declared in a flow's options (read by discovery)
 * or added to the store. A declared schedule's id is a hash of its file's real path, its flow and its
 * position, so every process that reads the file — `flowdeck serve`, each editor window — names it alike.
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import type { FileFlows } from '../flowDiscovery';
import type { FlowSource } from '../protocol';
import { machineTimezone, maskedIfSecret, type Schedule } from './scheduleSpec';
import type { ScheduleStoreState, StoredSchedule } from './scheduleStore';
import { SlotTimes } from './slotTimes';
import { tagsField } from '../runTags';

export interface ScheduleEntry {
  id: string;
  flowName: string;
  /** A flow file's absolute path, or `builtin:<id>` (as runs record their source). */
  source: string;
  schedule: Schedule;
  origin: 'code' | 'store';
  /** Where a schedule declared in code is written. */
  location?: { file: string; line: number };
  /** When a stored schedule was added (epoch ms). */
  created?: number;
  /** The flow resumes its runs after a host died (read from its options). */
  resumeOnCrash?: boolean;
  /** The flow's own tags (read from its options): its scheduled runs carry them. */
  tags?: string[];
  /**
   * A cron declared without a timezone, given one by zonedEntry: 'store' when it is the timezone the store
   * recorded for it (the first scheduler's to see it), 'machine' when none is recorded yet (this machine's).
   */
  zoneFrom?: 'store' | 'machine';
}

export function declaredScheduleId(realFile: string, flowName: string, index: number): string {
  return createHash('sha256').update(`${realFile}\0${flowName}\0${index}`).digest('hex').slice(0, 10);
}

/** The schedules declared in discovered files (files with errors have none). */
export async function declaredEntries(files: readonly FileFlows[]): Promise<ScheduleEntry[]> {
  const out: ScheduleEntry[] = [];
  for (const f of files) {
    if (!f.flows.some((flow) => flow.schedules)) continue;
    const real = await realpath(f.file).catch(() => f.file);
    for (const flow of f.flows) {
      for (const [i, schedule] of (flow.schedules ?? []).entries()) {
        out.push({
          id: declaredScheduleId(real, flow.name, i),
          flowName: flow.name,
          source: f.file,
          schedule,
          origin: 'code',
          location: { file: f.file, line: flow.scheduleLine ?? flow.line },
          ...(flow.resumeOnCrash ? { resumeOnCrash: true } : {}),
          ...tagsField(flow.tags),
        });
      }
    }
  }
  return out;
}

/**
 * A cron declared in a flow file without a timezone, given the one every process sharing the store reads
 * it in: the timezone the store recorded for it — that of the first scheduler to see it (`flowdeck serve`,
 * an editor window) — or, until one did, `fallback` (this machine's). Read in each machine's own timezone,
 * serves in two timezones would claim different slots, and the flow would run at both sets of times. Any
 * other schedule is returned as it is.
 */
export function zonedEntry(entry: ScheduleEntry, zones: ReadonlyMap<string, string>, fallback = machineTimezone()): ScheduleEntry {
  const { schedule } = entry;
  if (entry.origin !== 'code' || schedule.cron === undefined || schedule.timezone !== undefined) return entry;
  const recorded = zones.get(entry.id);
  const timezone = recorded ?? fallback;
  if (timezone === undefined) return entry;
  return { ...entry, schedule: { ...schedule, timezone }, zoneFrom: recorded !== undefined ? 'store' : 'machine' };
}

/** Whether a declared cron is read in a timezone the store has not recorded yet (zonedEntry): its scheduler records its own. */
export function needsZone(entry: ScheduleEntry, zones: ReadonlyMap<string, string>): boolean {
  return entry.origin === 'code' && entry.schedule.cron !== undefined && entry.schedule.timezone === undefined && !zones.has(entry.id);
}

export function storedEntry(s: StoredSchedule): ScheduleEntry {
  return { id: s.id, flowName: s.flowName, source: s.source, schedule: s.schedule, origin: 'store', created: s.created };
}

export function sourceOfEntry(entry: Pick<ScheduleEntry, 'source'>): FlowSource {
  return entry.source.startsWith('builtin:') ? { kind: 'builtin', id: entry.source.slice('builtin:'.length) } : { kind: 'file', path: entry.source };
}

/** A schedule as lists show it: paused or not, and when it runs next. */
export interface ScheduleView {
  entry: ScheduleEntry;
  paused: boolean;
  /** Epoch ms of the next slot; undefined when paused, refused, or when the schedule never runs again. */
  next?: number;
  /** Its parameters hold a secret (`mask` changes them, masked here): a scheduler runs none of its slots. */
  refused?: string;
}

/** Every schedule (declared ones first) with its state and next slot after `now`; given `mask`, those it refuses say so. */
export function scheduleViews(declared: readonly ScheduleEntry[], state: ScheduleStoreState, now: number, mask?: (text: string) => string): ScheduleView[] {
  return [...declared.map((e) => zonedEntry(e, state.zones)), ...state.added.map(storedEntry)].map((entry) => scheduleView(entry, state.paused.has(entry.id), now, mask));
}

/** One schedule (`entry` as scheduleViews gives it) as lists show it, `paused` or not; given `mask`, refused if it must be. */
export function scheduleView(entry: ScheduleEntry, paused: boolean, now: number, mask?: (text: string) => string): ScheduleView {
  const refused = mask && entry.schedule.parameters ? maskedIfSecret(entry.schedule.parameters, mask) : undefined;
  if (refused !== undefined) return { entry, paused, refused };
  const next = paused ? undefined : new SlotTimes(entry.schedule).next(now);
  return next === undefined ? { entry, paused } : { entry, paused, next };
}

/** The fewest characters of a schedule's id that name it (a slip of one or two never picks one). */
export const MIN_SCHEDULE_PREFIX = 4;

/** Finds a schedule by id or unique id prefix (at least MIN_SCHEDULE_PREFIX characters); `tooShort` when a shorter one starts ids. */
export function findSchedule<T extends { entry: ScheduleEntry }>(views: readonly T[], ref: string): { found?: T; ambiguous?: T[]; tooShort?: boolean } {
  const exact = views.find((v) => v.entry.id === ref);
  if (exact) return { found: exact };
  if (ref.length < MIN_SCHEDULE_PREFIX) return ref.length > 0 && views.some((v) => v.entry.id.startsWith(ref)) ? { tooShort: true } : {};
  const matches = views.filter((v) => v.entry.id.startsWith(ref));
  return matches.length === 1 ? { found: matches[0]! } : matches.length > 1 ? { ambiguous: matches } : {};
}
