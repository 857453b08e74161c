/**
 * Checks the options of `task()`, `flow()` and `task.map()` where they are written, so a wrong one stops
 * the flow file from loading with a message naming the option, instead of misbehaving at run time (a
 * concurrency of 0 that never starts anything, a negative retry count that never retries). Flow files are
 * untrusted input and not type-checked when they run, so every option is checked, types included.
 */
import { hasControlCharacters } from './givenRunName';
import { MAX_LIMIT } from './limits/limitStore';
import { nameLengthProblem } from './nameLimit';
import { checkDeclarations } from './parameters';
import { runTagsProblem } from './runTags';

type Check = (value: unknown) => string | undefined;

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function shown(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'function' ? 'a function' : 'an object';
}

const wholeAtLeast =
  (min: number): Check =>
  (v) =>
    isNumber(v) && Number.isInteger(v) && v >= min ? undefined : `must be a whole number ≥ ${min}`;
const seconds: Check = (v) => (isNumber(v) && v > 0 ? undefined : 'must be a number of seconds > 0');
const delaySeconds = (v: unknown): boolean => isNumber(v) && v >= 0;
const retryDelay: Check = (v) =>
  typeof v === 'function' || delaySeconds(v) || (Array.isArray(v) && v.every(delaySeconds))
    ? undefined
    : 'must be seconds ≥ 0: a number, a list of numbers (one per retry), or a function of the retry number';
const fraction: Check = (v) => (isNumber(v) && v >= 0 && v <= 1 ? undefined : 'must be a number from 0 to 1');
const text: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const flag: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const fn: Check = (v) => (typeof v === 'function' ? undefined : 'must be a function');
const hooks: Check = (v) => (typeof v === 'function' || (Array.isArray(v) && v.every((h) => typeof h === 'function')) ? undefined : 'must be a function or a list of functions');
const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
// What a schedule says is checked by discovery, which reports it on its line before the file ever runs.
const schedule: Check = (v) => (isObject(v) || (Array.isArray(v) && v.every(isObject)) ? undefined : 'must be a schedule ({ cron } or { intervalSeconds }) or a list of them');
const tags: Check = (v) => (Array.isArray(v) && v.every((t) => typeof t === 'string') ? undefined : 'must be a list of strings');

const TASK_OPTIONS: Record<string, Check> = {
  name: text,
  description: text,
  tags,
  retries: wholeAtLeast(0),
  retryDelaySeconds: retryDelay,
  retryJitterFactor: fraction,
  retryCondition: fn,
  timeoutSeconds: seconds,
  cacheKey: fn,
  cacheExpirationSeconds: seconds,
  refreshCache: flag,
  persistResult: flag,
  taskRunName: (v) => (typeof v === 'function' || (typeof v === 'string' && v.length > 0) ? undefined : "must be a non-empty string or a function of the call's arguments that returns one"),
  onCompletion: hooks,
  onFailure: hooks,
};

const FLOW_OPTIONS: Record<string, Check> = {
  name: text,
  description: text,
  version: text,
  timeoutSeconds: seconds,
  retries: wholeAtLeast(0),
  retryDelaySeconds: retryDelay,
  // Checked by checkDeclarations, which says more.
  parameters: () => undefined,
  validateParameters: fn,
  onCompletion: hooks,
  onFailure: hooks,
  onCancellation: hooks,
  onCrashed: hooks,
  resumeOnCrash: flag,
  schedule,
  flowRunName: (v) => (typeof v === 'function' || (typeof v === 'string' && v.trim().length > 0) ? undefined : 'must be a non-empty string or a function of the parameters that returns one'),
  concurrencyLimit: (v) => (isNumber(v) && Number.isInteger(v) && v >= 1 && v <= MAX_LIMIT ? undefined : `must be a whole number from 1 to ${MAX_LIMIT}`),
  collisionStrategy: (v) => (v === 'enqueue' || v === 'cancel-new' ? undefined : "must be 'enqueue' or 'cancel-new'"),
  tags: runTagsProblem,
};

const MAP_OPTIONS: Record<string, Check> = { concurrency: wholeAtLeast(1) };

function check(what: string, options: object, rules: Record<string, Check>): void {
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(rules, key)) throw new TypeError(`${what}: unknown option '${key}'; the options are ${Object.keys(rules).join(', ')}`);
    // An option set to undefined is an option left out.
    if (value === undefined) continue;
    const problem = rules[key]!(value);
    if (problem) throw new TypeError(`${what}: ${key} ${problem}, got ${shown(value)}`);
  }
}

function named(kind: 'task' | 'flow', options: unknown): { name: string } {
  if (options === null || typeof options !== 'object' || typeof (options as { name?: unknown }).name !== 'string' || (options as { name: string }).name.length === 0) {
    throw new TypeError(`${kind}(options, fn): options.name must be a non-empty string`);
  }
  const { name } = options as { name: string };
  const tooLong = nameLengthProblem(name);
  if (tooLong) throw new TypeError(`${kind}(options, fn): options.name ${tooLong}`);
  // A line break would split every log line and table row that names it; an escape would reach the terminal.
  if (hasControlCharacters(name)) throw new TypeError(`${kind}(options, fn): options.name must be one line without control characters, got ${JSON.stringify(name)}`);
  return options as { name: string };
}

export function checkTaskOptions(options: unknown): void {
  const { name } = named('task', options);
  check(`task '${name}'`, options as object, TASK_OPTIONS);
}

export function checkFlowOptions(options: unknown): void {
  const { name } = named('flow', options);
  check(`flow '${name}'`, options as object, FLOW_OPTIONS);
  checkDeclarations(name, (options as { parameters?: unknown }).parameters);
}

export function checkMapOptions(taskName: string, options: object): void {
  check(`task '${taskName}'.map`, options, MAP_OPTIONS);
}

/** What `withOptions` is given must be an object of options (each then checked as `task()` or `flow()` checks it). */
export function checkChangedOptions(what: string, changed: unknown): void {
  if (changed === null || typeof changed !== 'object') throw new TypeError(`${what}: withOptions takes an object of options, got ${changed === null ? 'null' : typeof changed}`);
}
