/**
 * What a schedule says — when (a cron expression or an interval), in which timezone, with which
 * parameters, and what to do about missed and overlapping slots — and the checks every schedule passes
 * wherever it comes from (a flow's options read by discovery, `flowdeck schedule add`, Schedule Flow…).
 * Cron expressions are parsed by croner; nothing here reads cron fields itself.
 */
import { Cron } from 'croner';
import { parseDuration } from '../durationInput';
import { validateParameters, type ParameterDeclarations } from '../parameters';
import { mergedTags, runTagsProblem } from '../runTags';
import type { Schedule } from '../types';
import { shareErrorClass } from '../sharedErrorClass';

export type { CatchupPolicy, OverlapPolicy, Schedule } from '../types';

export const MIN_INTERVAL_SECONDS = 1;
/** A year: longer intervals are almost certainly a unit mistake. */
export const MAX_INTERVAL_SECONDS = 366 * 24 * 3600;
/** Bounds a stored schedule's parameters (they are copied into every run it makes). */
const MAX_PARAMETERS_BYTES = 64 * 1024;
const MAX_CRON_LENGTH = 200;

const KEYS: ReadonlySet<string> = new Set(['cron', 'intervalSeconds', 'timezone', 'parameters', 'catchup', 'overlap', 'tags']);

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}
shareErrorClass(ScheduleError, 'ScheduleError');

/** True when `zone` is an IANA timezone this Node knows. */
export function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses a cron expression with croner (5 or 6 fields, or a nickname like `@daily`); throws ScheduleError saying what is wrong. */
export function parseCron(expression: string, timezone?: string): Cron {
  if (expression.length > MAX_CRON_LENGTH) throw new ScheduleError(`cron expression is ${expression.length} characters long; at most ${MAX_CRON_LENGTH}`);
  // croner's own words for a wrong count of fields name seven, which the mode used here refuses.
  const fields = expression.split(/\s+/).filter((f) => f !== '').length;
  if (!expression.trim().startsWith('@') && fields !== 5 && fields !== 6) {
    throw new ScheduleError(`cron '${expression}' is not valid: it has ${fields} field${fields === 1 ? '' : 's'}; give 5 (minute hour day-of-month month day-of-week), or 6 with seconds first`);
  }
  try {
    return new Cron(expression, { paused: true, mode: '5-or-6-parts', ...(timezone !== undefined ? { timezone } : {}) });
  } catch (e) {
    throw new ScheduleError(`cron '${expression}' is not valid: ${(e as Error).message.replace(/^CronPattern: /, '')}`);
  }
}

/**
 * Checks a schedule (untrusted: it comes from a flow file or the store) and returns it with only the
 * known fields. With `declarations`, the parameters are validated against them and defaults filled in.
 * Throws ScheduleError naming the first problem.
 */
export function checkSchedule(value: unknown, flowName: string, declarations?: ParameterDeclarations): Schedule {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ScheduleError(`a schedule is an object like { cron: '0 9 * * *' } or { intervalSeconds: 900 }`);
  }
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) throw new ScheduleError(`unknown schedule field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${[...KEYS].join(', ')})`);
  const out: Schedule = {};
  if ((v.cron === undefined) === (v.intervalSeconds === undefined)) throw new ScheduleError('a schedule needs exactly one of cron and intervalSeconds');
  if (v.timezone !== undefined) {
    if (typeof v.timezone !== 'string' || !isTimezone(v.timezone)) throw new ScheduleError(`timezone ${JSON.stringify(v.timezone)} is not an IANA timezone (like 'Europe/Madrid' or 'UTC')`);
    if (v.cron === undefined) throw new ScheduleError('timezone applies to cron schedules only (intervals count from 1970-01-01T00:00:00Z)');
    out.timezone = v.timezone;
  }
  if (v.cron !== undefined) {
    if (typeof v.cron !== 'string') throw new ScheduleError('cron must be a string like "0 9 * * *"');
    const cron = parseCron(v.cron.trim(), out.timezone);
    if (cron.nextRun() === null) throw new ScheduleError(`cron '${v.cron}' never runs`);
    out.cron = v.cron.trim();
  } else {
    const s = v.intervalSeconds;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < MIN_INTERVAL_SECONDS || s > MAX_INTERVAL_SECONDS) {
      throw new ScheduleError(`intervalSeconds must be a whole number of seconds from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS}, got ${JSON.stringify(s)}`);
    }
    out.intervalSeconds = s;
  }
  if (v.catchup !== undefined) {
    if (v.catchup !== 'latest' && v.catchup !== 'none') throw new ScheduleError(`catchup must be 'latest' or 'none', got ${JSON.stringify(v.catchup)}`);
    out.catchup = v.catchup;
  }
  if (v.overlap !== undefined) {
    if (v.overlap !== 'skip' && v.overlap !== 'queue' && v.overlap !== 'allow') throw new ScheduleError(`overlap must be 'skip', 'queue' or 'allow', got ${JSON.stringify(v.overlap)}`);
    out.overlap = v.overlap;
  }
  if (v.tags !== undefined) {
    const problem = runTagsProblem(v.tags);
    if (problem) throw new ScheduleError(`tags ${problem}`);
    const tags = mergedTags(v.tags as string[]);
    if (tags) out.tags = tags;
  }
  if (v.parameters !== undefined) {
    if (v.parameters === null || typeof v.parameters !== 'object' || Array.isArray(v.parameters)) throw new ScheduleError('parameters must be an object of name → value');
    const bytes = Buffer.byteLength(JSON.stringify(v.parameters));
    if (bytes > MAX_PARAMETERS_BYTES) throw new ScheduleError(`parameters take ${bytes} bytes; a schedule's parameters are limited to ${MAX_PARAMETERS_BYTES}`);
    try {
      out.parameters = validateParameters(flowName, declarations, v.parameters as Record<string, unknown>);
    } catch (e) {
      throw new ScheduleError((e as Error).message);
    }
    const secret = Object.keys(v.parameters).find((key) => declarations !== undefined && Object.hasOwn(declarations, key) && declarations[key]!.secret === true);
    if (secret !== undefined) throw new ScheduleError(`parameter '${secret}' is declared secret; schedules are kept in the store, so leave it out (its default applies) or let the flow read the secret from its environment instead`);
    // A secret's default is filled in by the run's worker, from the flow file: never kept with the schedule or its runs made ahead.
    for (const [key, d] of Object.entries(declarations ?? {})) if (d.secret === true) delete out.parameters[key];
  } else if (declarations !== undefined) {
    // None given: each slot's run would be refused for a required parameter without a default — said now.
    try {
      validateParameters(flowName, declarations, {});
    } catch (e) {
      throw new ScheduleError(`${(e as Error).message}; give it in the schedule's parameters`);
    }
  }
  return out;
}

/**
 * A schedule about to be kept in the store, its cron given the timezone this machine reads it in when it
 * names none: every machine and window sharing the store runs it, and one left without a timezone would be
 * read in each one's own — other slots on each, so runs the schedule never asked for.
 */
export function withTimezone(schedule: Schedule): Schedule {
  if (schedule.cron === undefined || schedule.timezone !== undefined) return schedule;
  const zone = machineTimezone();
  return zone ? { ...schedule, timezone: zone } : schedule;
}

/** The IANA timezone this process reads local times in (TZ, or the machine's), when it names one. */
export function machineTimezone(): string | undefined {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isTimezone(zone) ? zone : undefined;
}

/** `--every 15m`: `30s`, `15m`, `2h`, `1d`, `2w` (durationInput.ts) → whole seconds. Throws ScheduleError for anything else. */
export function parseEvery(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new ScheduleError(`--every takes a number and a unit, like 30s, 15m, 2h, 1d or 2w; got '${text}'`);
  const seconds = ms / 1000;
  if (seconds < MIN_INTERVAL_SECONDS || seconds > MAX_INTERVAL_SECONDS) throw new ScheduleError(`--every must be from ${MIN_INTERVAL_SECONDS}s to ${MAX_INTERVAL_SECONDS / 86400}d; got '${text}'`);
  if (!Number.isInteger(seconds)) throw new ScheduleError(`--every must be a whole number of seconds; got '${text}'`);
  return seconds;
}

/** `every 15 min`, `cron 0 9 * * * (Europe/Madrid)`. */
export function describeSchedule(s: Schedule): string {
  if (s.cron !== undefined) return `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}`;
  const n = s.intervalSeconds ?? 0;
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]] as const) if (n % size === 0) return `every ${n / size} ${unit}`;
  return `every ${n} s`;
}

/**
 * Refuses parameters holding a secret (what `mask` changes): a schedule is kept in the store (files, or
 * Postgres shared by every machine), and a secret never goes there. The message shows them masked.
 */
export function refuseSecretParameters(parameters: Record<string, unknown>, mask: (text: string) => string): void {
  const masked = maskedIfSecret(parameters, mask);
  if (masked !== undefined) throw new ScheduleError(`a parameter of the schedule holds a secret (${masked}); schedules are kept in the store, so let the flow read the secret from its environment instead`);
}

/** Parameters as JSON with their secrets masked, when one holds a secret (what `mask` changes); undefined when none does. */
export function maskedIfSecret(parameters: Record<string, unknown>, mask: (text: string) => string): string | undefined {
  const text = JSON.stringify(parameters);
  const masked = mask(text);
  return masked === text ? undefined : masked;
}

/**
 * Why a schedule whose parameters hold a secret (`masked`: maskedIfSecret's) is not run, worded once for
 * every place that says so: the scheduler's log (serve, the editor) and `flowdeck schedules`.
 */
export function secretParametersRefusal(masked: string): string {
  return `a parameter of the schedule holds a secret (${masked}); its runs would keep it in the store, so let the flow read the secret from its environment instead`;
}
