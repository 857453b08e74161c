/**
 * The `flowdeck.*` settings from their raw values, without VS Code (settings.ts reads them). A setting is
 * whatever JSON a settings file holds — a workspace's own `.vscode/settings.json` included — not the type
 * package.json declares: one of the wrong type or out of its range is taken at its default, and `warn` says
 * so (the user sees it), never a NaN limit (a history pruned to nothing, runs waiting for ever for a slot)
 * nor a TypeError at activation.
 */
import { isAbsolute } from 'node:path';
import { LIMIT_TAG, MAX_LIMIT } from '../engine/limits/limitStore';
import { NOTIFY_POLICIES, type NotifyPolicy } from '../engine/notify/notices';
import { defaultHome, expandHome } from '../engine/storeHome';

export type RevealOutput = 'onRun' | 'onFailure' | 'never';

const REVEAL_OUTPUT: readonly RevealOutput[] = ['onRun', 'onFailure', 'never'];
const SCHEDULES_RUN: readonly ('whileOpen' | 'never')[] = ['whileOpen', 'never'];

export const DEFAULT_FLOW_GLOB = '**/*.flow.{ts,mts,js,mjs}';

/** The whole numbers settings take, with their defaults and ranges (package.json's contributes.configuration says the same). */
export const NUMBER_SETTINGS = {
  maxConcurrentRuns: { default: 4, minimum: 1, maximum: 64 },
  runHistoryLimit: { default: 1000, minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
} as const;

export interface FlowdeckSettings {
  flowGlob: string;
  revealOutput: RevealOutput;
  /** Empty when unset. */
  githubApiUrl: string;
  /** The store folder: the setting, else FLOWDECK_HOME, else ~/.flowdeck (the CLI's default too). */
  home: string;
  /** A postgres:// URL of a store several machines share (else FLOWDECK_STORE); undefined for the embedded store. */
  store: string | undefined;
  maxConcurrentRuns: number;
  runHistoryLimit: number;
  /** Log the longest event-loop block while each run went. */
  diagnoseEventLoop: boolean;
  /** Keep a worker process started ahead of time for the next run. */
  standbyWorker: boolean;
  /** Whether this window runs schedules (while it is open and trusted). */
  schedulesRun: 'whileOpen' | 'never';
  /** When to tell of a run nobody watches (scheduled, resumed by itself). */
  notify: NotifyPolicy;
  /** This window's concurrency limits by tag, besides those in the store (`flowdeck limit set`). */
  concurrencyLimits: Record<string, number>;
}

/** A setting's value by its key without `flowdeck.` (`maxConcurrentRuns`); undefined when unset. */
export type SettingValue = (key: string) => unknown;

/** Entries of `flowdeck.concurrencyLimits` told about at most, one warning naming them. */
const MAX_TOLD_LIMITS = 5;

/**
 * The valid entries of `flowdeck.concurrencyLimits` (workspace settings are untrusted input); the others
 * are left out, told to `warn` (when given) with what a valid one is.
 */
export function concurrencyLimitsFrom(value: unknown, warn?: (message: string) => void): Record<string, number> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    warn?.(`The setting "flowdeck.concurrencyLimits" must be an object of tag → limit, like { "github-api": 2 }, not ${shown(value)}: no limits are taken from it. Change it in the settings.`);
    return {};
  }
  const out: Record<string, number> = {};
  const wrong: string[] = [];
  for (const [tag, n] of Object.entries(value as Record<string, unknown>)) {
    if (LIMIT_TAG.test(tag) && typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_LIMIT) out[tag] = n;
    else wrong.push(`${shown(tag)}: ${shown(n)}`);
  }
  if (wrong.length > 0) {
    const listed = wrong.slice(0, MAX_TOLD_LIMITS).join(', ') + (wrong.length > MAX_TOLD_LIMITS ? ` and ${wrong.length - MAX_TOLD_LIMITS} more` : '');
    warn?.(`The setting "flowdeck.concurrencyLimits" has entries that are not a tag (letters, digits, _ . -, at most 64) with a whole number from 1 to ${MAX_LIMIT}, which are left out: ${listed}. Change it in the settings.`);
  }
  return out;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  // A setting is any JSON: what the warning quotes of it stays short.
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** A setting taking one of `choices`; `fallback` when unset or another value (told to `warn`). */
export function choiceSetting<T extends string>(get: SettingValue, key: string, choices: readonly T[], fallback: T, warn: (message: string) => void): T {
  const value = get(key);
  if (value === undefined || value === null) return fallback;
  const chosen = choices.find((c) => c === value);
  if (chosen !== undefined) return chosen;
  warn(`The setting "flowdeck.${key}" must be one of ${choices.map((c) => `"${c}"`).join(', ')}, not ${shown(value)}: using its default "${fallback}". Change it in the settings.`);
  return fallback;
}

/** A true/false setting; `fallback` when unset or not a boolean (told to `warn`). */
export function booleanSetting(get: SettingValue, key: string, fallback: boolean, warn: (message: string) => void): boolean {
  const value = get(key);
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  warn(`The setting "flowdeck.${key}" must be true or false, not ${shown(value)}: using its default ${fallback}. Change it in the settings.`);
  return fallback;
}

/** A string setting, trimmed; `fallback` when unset or not a string (told to `warn`). */
export function stringSetting(get: SettingValue, key: string, fallback: string, warn: (message: string) => void): string {
  const value = get(key);
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string') return value.trim();
  warn(`The setting "flowdeck.${key}" must be a string, not ${shown(value)}: using ${fallback === '' ? 'its default (empty)' : `its default "${fallback}"`}. Change it in the settings.`);
  return fallback;
}

/** A whole-number setting within its range (NUMBER_SETTINGS); its default when unset or not one (told to `warn`). */
export function numberSetting(get: SettingValue, key: keyof typeof NUMBER_SETTINGS, warn: (message: string) => void): number {
  const { default: fallback, minimum, maximum } = NUMBER_SETTINGS[key];
  const value = get(key);
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum && value <= maximum) return value;
  const range = maximum === Number.MAX_SAFE_INTEGER ? `≥ ${minimum}` : `from ${minimum} to ${maximum}`;
  warn(`The setting "flowdeck.${key}" must be a whole number ${range}, not ${shown(value)}: using its default ${fallback}. Change it in the settings.`);
  return fallback;
}

/**
 * `flowdeck.home`: an absolute path, or `~`/`~/…` in the user's home folder; FLOWDECK_HOME or `~/.flowdeck`
 * when unset. A relative path is refused (told to `warn`): the editor has no folder it is relative to — the
 * extension host's working folder is the workspace under code-server and anything elsewhere, and the setting
 * is the machine's, one for every window. (The CLI reads a relative FLOWDECK_HOME from its working folder.)
 */
export function homeSetting(get: SettingValue, env: NodeJS.ProcessEnv, warn: (message: string) => void): string {
  const home = stringSetting(get, 'home', '', warn);
  if (home === '') return envHome(env, warn);
  const expanded = expandHome(home);
  if (isAbsolute(expanded)) return expanded;
  const fallback = envHome(env, warn);
  warn(`The setting "flowdeck.home" must be an absolute path or start with ~/, not ${shown(home)}: a relative path would be read from whichever folder the editor was started in. Using ${fallback} instead. Change it in the settings.`);
  return fallback;
}

/**
 * FLOWDECK_HOME as the editor reads it: the store folder when `flowdeck.home` is unset. A relative one is
 * refused as the setting is (told to `warn`), `~/.flowdeck` used: the editor inherits it from whatever
 * started it, and would read it from the extension host's working folder, which the user never chose. The
 * CLI reads it from its own working folder (storeHome.ts), which is what a shell user means.
 */
function envHome(env: NodeJS.ProcessEnv, warn: (message: string) => void): string {
  const home = defaultHome(env);
  if (isAbsolute(home)) return home;
  const fallback = defaultHome({});
  warn(`The environment variable FLOWDECK_HOME the editor was started with must be an absolute path or start with ~/, not ${shown(env.FLOWDECK_HOME)}: a relative path would be read from whichever folder the editor was started in. Using ${fallback} instead. Set the "flowdeck.home" setting, or FLOWDECK_HOME to an absolute path before starting the editor.`);
  return fallback;
}

/** `flowdeck.flowGlob` alone: what activation needs (the CodeLens provider's pattern), without reading the rest. */
export function flowGlobFrom(get: SettingValue, warn: (message: string) => void): string {
  return stringSetting(get, 'flowGlob', DEFAULT_FLOW_GLOB, warn) || DEFAULT_FLOW_GLOB;
}

export function settingsFrom(get: SettingValue, env: NodeJS.ProcessEnv, warn: (message: string) => void): FlowdeckSettings {
  const store = stringSetting(get, 'store', '', warn) || env.FLOWDECK_STORE?.trim() || undefined;
  return {
    flowGlob: flowGlobFrom(get, warn),
    revealOutput: choiceSetting(get, 'revealOutput', REVEAL_OUTPUT, 'onRun', warn),
    githubApiUrl: stringSetting(get, 'github.apiUrl', '', warn),
    home: homeSetting(get, env, warn),
    store,
    maxConcurrentRuns: numberSetting(get, 'maxConcurrentRuns', warn),
    runHistoryLimit: numberSetting(get, 'runHistoryLimit', warn),
    diagnoseEventLoop: booleanSetting(get, 'diagnostics.eventLoop', false, warn),
    standbyWorker: booleanSetting(get, 'standbyWorker', true, warn),
    schedulesRun: choiceSetting(get, 'schedules.run', SCHEDULES_RUN, 'whileOpen', warn),
    notify: choiceSetting(get, 'notify', NOTIFY_POLICIES, 'onFailure', warn),
    concurrencyLimits: concurrencyLimitsFrom(get('concurrencyLimits'), warn),
  };
}
