/**
 * The limits a run's worker applies (result and log line sizes, the graces of a timeout and a cancel, how
 * often a long map says how far it is), from the documented environment variables and the runner's options.
 */
import type { WorkerLimits } from './protocol';
import { StoreSettingError } from './storeErrors';

/** The shortest interval between a long map's progress lines. */
const MIN_MAP_PROGRESS_MS = 100;

/**
 * A number above 0 from the environment, `fallback` where unset (or empty). Anything else is a
 * StoreSettingError naming the variable and the value, as FLOWDECK_HEARTBEAT_SECONDS's is: running on the
 * default instead would look like the setting took.
 */
export function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, unit: string): number {
  const text = env[name]?.trim();
  if (text === undefined || text === '') return fallback;
  const v = Number(text);
  if (Number.isFinite(v) && v > 0) return v;
  const given = env[name]!;
  const shown = given.length > 40 ? `${given.slice(0, 40)}…` : given;
  throw new StoreSettingError(`${name} must be a number of ${unit} above 0, got ${JSON.stringify(shown)}; unset it for the default (${fallback})`);
}

/** The limits a worker applies, from the documented environment variables. */
export function workerLimits(env: NodeJS.ProcessEnv, options: { cancelGraceMs?: number; timeoutGraceMs?: number }): WorkerLimits {
  return {
    inlineResultBytes: envNumber(env, 'FLOWDECK_INLINE_RESULT_KB', 256, 'KB') * 1024,
    maxResultBytes: envNumber(env, 'FLOWDECK_MAX_RESULT_MB', 512, 'MB') * 1024 * 1024,
    maxLogLineBytes: envNumber(env, 'FLOWDECK_MAX_LOG_LINE_KB', 1024, 'KB') * 1024,
    timeoutGraceMs: options.timeoutGraceMs ?? 2000,
    cancelGraceMs: options.cancelGraceMs ?? 3000,
    // At least a tenth of a second: a smaller setting would fill the log with progress lines.
    mapProgressMs: Math.max(MIN_MAP_PROGRESS_MS, envNumber(env, 'FLOWDECK_MAP_PROGRESS_SECONDS', 10, 'seconds') * 1000),
  };
}
