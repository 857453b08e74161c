/**
 * `--params JSON` (or `--params @FILE`) and `--param key=value` of `flowdeck run` and `flowdeck schedule
 * add`. The JSON is read here; each `--param` text is passed on as typed, because how to read it depends on
 * the parameter's declared type, which only the worker that loaded the flow knows (parametersFromText in the
 * engine).
 */
import { resolve } from 'node:path';
import { ParameterError, parameterDepthProblem } from '../engine/parameters';
import { readUpTo } from './readUpTo';
import { utf8FileText } from './utf8File';

/** A parameters file larger than this is refused: parameters are kept with the run, in its record and its index line. */
export const MAX_PARAMS_FILE_BYTES = 4 * 1024 * 1024;

export interface ParameterInput {
  parameters: Record<string, unknown>;
  parameterText: Record<string, string>;
}

/** The options' names: a flow's parameters (`--param`, `--params`), or a paused run's input (`--input`, `--inputs`). */
export interface ValueFlags {
  one: string;
  many: string;
}

export const PARAM_FLAGS: ValueFlags = { one: '--param', many: '--params' };

/** `key=value` → [key, value as typed]. */
export function splitAssignment(assignment: string, flag = PARAM_FLAGS.one): [string, string] {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ParameterError(`${flag} expects key=value, got '${assignment}'`, [`malformed ${flag}`]);
  return [assignment.slice(0, eq), assignment.slice(eq + 1)];
}

/** Where in a parsed JSON value a number too large for a double (`1e400`, read as Infinity) sits. */
function nonFinitePath(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nonFinitePath(item, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** The JSON text of `--params`: given inline, or `@FILE` (a path from `cwd`; a file, a pipe or a device), read up to MAX_PARAMS_FILE_BYTES. */
function paramsText(given: string, cwd: string, flag: string): { text: string; what: string } {
  if (!given.startsWith('@')) return { text: given, what: flag };
  const file = resolve(cwd, given.slice(1));
  const what = `${flag} ${given}`;
  try {
    const bytes = readUpTo(file, MAX_PARAMS_FILE_BYTES);
    if (bytes === undefined) throw new ParameterError(`${what}: the file holds more than ${MAX_PARAMS_FILE_BYTES / 1048576} MiB; parameters are kept with the run, so at most ${MAX_PARAMS_FILE_BYTES / 1048576} MiB is read — pass a path and read the data in the flow instead`, [`bad ${flag}`]);
    const read = utf8FileText(bytes);
    if ('problem' in read) throw new ParameterError(`${what}: ${read.problem}`, [`bad ${flag}`]);
    return { text: read.text, what };
  } catch (e) {
    if (e instanceof ParameterError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ParameterError(`${what}: cannot read ${file} (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (code ?? (e as Error).message)})`, [`bad ${flag}`]);
  }
}

/**
 * Reads the options into parameters and texts. Built from own properties only: a parameter named
 * `__proto__` or `constructor` stays a parameter. `mask` hides secrets in what an error quotes.
 */
export function parameterInput(values: { param?: string[]; params?: string }, mask: (text: string) => string, cwd: string, flags: ValueFlags = PARAM_FLAGS): ParameterInput {
  let parameters: Record<string, unknown> = {};
  const bad = [`bad ${flags.many}`];
  if (values.params !== undefined) {
    const { text, what } = paramsText(values.params, cwd, flags.many);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // JSON.parse quotes a piece of its input, which may be a piece of a secret: say what is wrong
      // with the masked input instead.
      const reason = jsonError(mask(text));
      throw new ParameterError(`${what} is not valid JSON${reason === undefined ? '' : `: ${reason}`}`, bad);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ParameterError(`${what} must be a JSON object, like {"repo":"owner/name"}`, bad);
    const deep = parameterDepthProblem(parsed as Record<string, unknown>);
    if (deep !== undefined) throw new ParameterError(`${what}: ${mask(deep)}`, bad);
    const huge = nonFinitePath(parsed, '');
    if (huge !== undefined) {
      throw new ParameterError(`${what}: the number at ${huge} is too large to be a number (it reads as Infinity); pass it as a string if it is text`, bad);
    }
    parameters = parsed as Record<string, unknown>;
  }
  const texts: [string, string][] = (values.param ?? []).map((a) => splitAssignment(a, flags.one));
  return { parameters, parameterText: Object.fromEntries(texts) };
}
