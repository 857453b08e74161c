/**
 * Parameter declarations: enough for a UI to prompt and for the engine to validate. A flow without a
 * declaration accepts whatever it is given (its function's defaults apply).
 */

import type { ParameterDeclaration, ParameterDeclarations, ParameterType } from './types';
import { shareErrorClass } from './sharedErrorClass';

export type { ParameterDeclaration, ParameterDeclarations, ParameterType } from './types';

export class ParameterError extends Error {
  override readonly name = 'ParameterError';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
  }
}
shareErrorClass(ParameterError, 'ParameterError');

export interface ValidationOptions {
  /**
   * Masks the secrets in a text. A value quoted in an error message goes through it whole, before it is
   * shortened: a secret cut short could no longer be recognised. Without it, a string is quoted only
   * whole, so a masker applied to the message later still finds a secret in it; a string too long to
   * quote whole is described by its length.
   */
  mask?: (text: string) => string;
  /**
   * What the values are, for messages: a flow's parameters (the default), or the input a paused run waits
   * for (pauseInput.ts) — `missing required input 'approve'`, `Invalid input for flow run 'x': …`.
   */
  subject?: DeclaredSubject;
}

/** Whose declarations they are and what they declare, as messages name them. */
export interface DeclaredSubject {
  /** `flow 'etl'`, `flow run 'deploy-7'`. */
  owner: string;
  /** `parameter` or `input`. */
  noun: 'parameter' | 'input';
}

function subjectOf(flowName: string, subject: DeclaredSubject | undefined): DeclaredSubject {
  return subject ?? { owner: `flow '${flowName}'`, noun: 'parameter' };
}

/** Quoted values are cut to this length so a huge parameter cannot make a huge message. */
const QUOTE_LIMIT = 40;

/** Parameters nested deeper than this are refused: deep enough for any data, shallow enough for every recursive copy and serializer. */
export const MAX_PARAMETER_DEPTH = 100;

/**
 * The problem with `given`'s nesting (`parameter 'a' is nested more than 100 levels deep`), or undefined.
 * Walked without recursion, so a value nested thousands of levels deep is measured, not a stack overflow.
 */
export function parameterDepthProblem(given: Record<string, unknown> | undefined, noun: 'parameter' | 'input' = 'parameter'): string | undefined {
  if (given === null || typeof given !== 'object') return undefined;
  for (const key of Object.keys(given)) {
    const seen = new Set<object>();
    const stack: [unknown, number][] = [[given[key], 1]];
    while (stack.length > 0) {
      const [value, depth] = stack.pop()!;
      if (value === null || typeof value !== 'object' || seen.has(value)) continue;
      if (depth > MAX_PARAMETER_DEPTH) return `${key.length > QUOTE_LIMIT ? `a ${noun} (its name ${key.length} characters)` : `${noun} '${key}'`} is nested more than ${MAX_PARAMETER_DEPTH} levels deep; pass flatter data (or a path, and read the data in the flow)`;
      seen.add(value);
      for (const v of value instanceof Map ? value.values() : Object.values(value)) stack.push([v, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Checks `given` against `declarations`, fills in declared defaults, and returns the parameters to run
 * with. Throws a ParameterError listing every problem at once.
 */
export function validateParameters(
  flowName: string,
  declarations: ParameterDeclarations | undefined,
  given: Record<string, unknown>,
  options: ValidationOptions = {},
): Record<string, unknown> {
  const quote = quoter(options.mask);
  const { owner, noun } = subjectOf(flowName, options.subject);
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new ParameterError(`${noun === 'parameter' ? 'Parameters' : 'Input'} for ${owner} must be an object of name → value`, ['not an object']);
  }
  const deep = parameterDepthProblem(given, noun);
  if (deep !== undefined) throw new ParameterError(`Invalid ${noun}s for ${owner}: ${options.mask ? options.mask(deep) : deep}`, [deep]);
  if (!declarations) return { ...given };
  const problems: string[] = [];
  // Built as own properties only: a parameter named `__proto__` or `constructor` is a parameter like any
  // other, never the object's prototype (nor an inherited function mistaken for a given value).
  const out: [string, unknown][] = [];
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(declarations, key)) {
      const known = Object.keys(declarations);
      problems.push(`unknown ${noun} ${quote.name(key)}${known.length ? ` (expected one of: ${known.join(', ')})` : noun === 'parameter' ? ' (this flow takes no parameters)' : ' (it waits for no input)'}`);
    }
  }
  for (const [key, decl] of Object.entries(declarations)) {
    const value = Object.hasOwn(given, key) ? given[key] : undefined;
    if (value === undefined) {
      if (decl.default !== undefined) out.push([key, structuredClone(decl.default)]);
      else if (decl.required) problems.push(`missing required ${noun} '${key}'${decl.description ? ` (${decl.description})` : ''}`);
      continue;
    }
    const problem = checkValue(key, decl, value, quote);
    if (problem) problems.push(problem);
    else out.push([key, value]);
  }
  if (problems.length > 0) {
    throw new ParameterError(`Invalid ${noun === 'parameter' ? 'parameters' : 'input'} for ${owner}: ${problems.join('; ')}`, problems);
  }
  return Object.fromEntries(out);
}

function checkValue(key: string, decl: ParameterDeclaration, value: unknown, quote: Quoter): string | undefined {
  switch (decl.type) {
    case 'string':
      if (typeof value !== 'string') return `'${key}' must be a string, got ${quote.type(value)}`;
      if (decl.pattern !== undefined && !new RegExp(`^(?:${decl.pattern})$`).test(value)) {
        return `'${key}' = ${quote.value(value)} does not match the pattern ${decl.pattern}`;
      }
      break;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `'${key}' must be ${decl.type === 'integer' ? 'an integer' : 'a number'}, got ${quote.type(value)}`;
      if (decl.type === 'integer' && !Number.isInteger(value)) return `'${key}' must be an integer, got ${quote.value(value)}`;
      // Past ±(2^53 − 1) a number holds no exact integer: 99999999999999999999999 arrives as 1e+23, another number.
      if (decl.type === 'integer' && !Number.isSafeInteger(value)) {
        return `'${key}' must be an integer from ${-Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}, which numbers hold exactly; got ${quote.value(value)} (to pass a larger one, declare '${key}' as a string)`;
      }
      if (decl.minimum !== undefined && value < decl.minimum) return `'${key}' must be ≥ ${decl.minimum}, got ${quote.value(value)}`;
      if (decl.maximum !== undefined && value > decl.maximum) return `'${key}' must be ≤ ${decl.maximum}, got ${quote.value(value)}`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `'${key}' must be true or false, got ${quote.type(value)}`;
      break;
    case 'array':
      if (!Array.isArray(value)) return `'${key}' must be an array, got ${quote.type(value)}`;
      break;
    case 'object':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `'${key}' must be an object, got ${quote.type(value)}`;
      break;
  }
  if (decl.enum && !decl.enum.includes(value as string | number | boolean)) {
    return `'${key}' must be one of ${decl.enum.map((v) => JSON.stringify(v)).join(', ')}, got ${quote.value(value)}`;
  }
  return undefined;
}

interface Quoter {
  /** A parameter name as given, in quotes. */
  name(key: string): string;
  /** A given value, as far as it can be shown. */
  value(value: unknown): string;
  /** A given value's type, with the value as far as it can be shown. */
  type(value: unknown): string;
}

function quoter(mask: ((text: string) => string) | undefined): Quoter {
  /** The text to show, or undefined when it cannot be shown: too long to show whole, and nothing to mask it. */
  const shown = (text: string): string | undefined => {
    if (mask === undefined) return text.length > QUOTE_LIMIT ? undefined : text;
    const masked = mask(text);
    return masked.length > QUOTE_LIMIT ? `${masked.slice(0, QUOTE_LIMIT)}…` : masked;
  };
  const quoted = (text: string): string | undefined => {
    const s = shown(text);
    return s === undefined ? undefined : JSON.stringify(s);
  };
  const other = (v: unknown): string => {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'an array';
    if (typeof v === 'object') return 'an object';
    return shown(String(v)) ?? typeof v;
  };
  return {
    name: (key) => {
      const s = shown(key);
      return s === undefined ? `(a name of ${key.length} characters)` : `'${s}'`;
    },
    value: (v) => (typeof v === 'string' ? (quoted(v) ?? `a string of ${v.length} characters`) : other(v)),
    type: (v) => {
      if (typeof v === 'string') {
        const q = quoted(v);
        return q === undefined ? `a string of ${v.length} characters` : `the string ${q}`;
      }
      return typeof v === 'number' || typeof v === 'boolean' ? `${typeof v} ${other(v)}` : other(v);
    },
  };
}

const TYPES: readonly string[] = ['string', 'number', 'integer', 'boolean', 'object', 'array'];
const FIELDS: readonly string[] = ['type', 'description', 'default', 'required', 'enum', 'pattern', 'minimum', 'maximum', 'secret'];

/**
 * The problems the worker will find with `given` for a flow whose declaration was read without running it
 * (a literal `parameters: {…}`): a ParameterError, or undefined when it will take them — also when there is
 * no declaration, or one the worker would refuse itself (it says so when it loads the flow).
 */
export function refusalOf(flowName: string, declarations: unknown, given: Record<string, unknown>, options: ValidationOptions = {}): ParameterError | undefined {
  let declared: ParameterDeclarations | undefined;
  try {
    declared = checkDeclarations(flowName, declarations);
  } catch {
    return undefined;
  }
  try {
    validateParameters(flowName, declared, given, options);
    return undefined;
  } catch (e) {
    if (e instanceof ParameterError) return e;
    throw e;
  }
}

/**
 * Checks that a declaration itself is well-formed (it comes from untrusted flow files): known types and
 * fields, a valid pattern, and a default that fits its own declaration.
 */
export function checkDeclarations(flowName: string, declarations: unknown, subject?: DeclaredSubject): ParameterDeclarations | undefined {
  if (declarations === undefined) return undefined;
  const { owner, noun } = subjectOf(flowName, subject);
  if (declarations === null || typeof declarations !== 'object' || Array.isArray(declarations)) {
    throw new TypeError(`${owner}: ${noun === 'parameter' ? 'options.parameters' : 'input'} must be an object of name → { type, default?, description? }`);
  }
  for (const [key, decl] of Object.entries(declarations)) {
    const where = `${owner}: ${noun} '${key}'`;
    if (decl === null || typeof decl !== 'object' || Array.isArray(decl)) throw new TypeError(`${where} must be declared as { type, default?, description? }`);
    const type = (decl as { type?: unknown }).type;
    if (type === undefined) throw new TypeError(`${where} needs a type, one of ${TYPES.join(', ')}`);
    if (typeof type !== 'string' || !TYPES.includes(type)) throw new TypeError(`${where} has type ${JSON.stringify(type)}, which is not a parameter type; the types are ${TYPES.join(', ')}`);
    for (const field of Object.keys(decl)) {
      if (!FIELDS.includes(field)) throw new TypeError(`${where} has an unknown field '${field}'; the fields are ${FIELDS.join(', ')}`);
    }
    const d = decl as ParameterDeclaration;
    if (d.pattern !== undefined) {
      if (typeof d.pattern !== 'string') throw new TypeError(`${where}: pattern must be a regular expression as a string`);
      try {
        new RegExp(d.pattern);
      } catch (e) {
        throw new TypeError(`${where} has an invalid pattern: ${(e as Error).message}`);
      }
    }
    for (const bound of ['minimum', 'maximum'] as const) {
      if (d[bound] !== undefined && (typeof d[bound] !== 'number' || !Number.isFinite(d[bound]))) throw new TypeError(`${where}: ${bound} must be a number`);
    }
    if (d.enum !== undefined && (!Array.isArray(d.enum) || d.enum.length === 0 || !d.enum.every((v) => ['string', 'number', 'boolean'].includes(typeof v)))) {
      throw new TypeError(`${where}: enum must be a non-empty list of strings, numbers or booleans`);
    }
    if (d.required !== undefined && typeof d.required !== 'boolean') throw new TypeError(`${where}: required must be true or false`);
    if (d.secret !== undefined && typeof d.secret !== 'boolean') throw new TypeError(`${where}: secret must be true or false`);
    // Masking finds text: a secret number would be stored as given. A paused run's input is not masked as a parameter is.
    if (d.secret === true && noun === 'input') throw new TypeError(`${where}: secret is for a flow's parameters, not a paused run's input`);
    if (d.secret === true && d.type !== 'string') throw new TypeError(`${where}: secret is for a string ${noun}, not ${articled(d.type)}`);
    // A field its type never reads would be ignored, and bounds or choices no value fits would refuse every one.
    if (d.pattern !== undefined && d.type !== 'string') throw new TypeError(`${where}: pattern is for a string ${noun}, not ${articled(d.type)}`);
    for (const bound of ['minimum', 'maximum'] as const) {
      if (d[bound] !== undefined && d.type !== 'number' && d.type !== 'integer') throw new TypeError(`${where}: ${bound} is for a number or integer ${noun}, not ${articled(d.type)}`);
    }
    if (d.minimum !== undefined && d.maximum !== undefined && d.minimum > d.maximum) throw new TypeError(`${where}: minimum ${d.minimum} is greater than maximum ${d.maximum}, so no value fits`);
    const misfit = d.enum?.find((v) => checkValue(key, { type: d.type }, v, quoter(undefined)) !== undefined);
    if (misfit !== undefined) throw new TypeError(`${where}: enum value ${JSON.stringify(misfit)} is not ${articled(d.type)}, so it can never be given`);
    if (d.default !== undefined) {
      const problem = checkValue(key, d, d.default, quoter(undefined));
      if (problem) throw new TypeError(`${where} has a default that does not fit its declaration: ${problem}`);
    }
  }
  return declarations as ParameterDeclarations;
}

function articled(type: ParameterType): string {
  return type === 'integer' || type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}

/** How a value of each type is written as text, and an example of it. */
const TEXT_FORMS: Record<ParameterType, { expected: string; example: string }> = {
  string: { expected: 'a string', example: 'text' },
  number: { expected: 'a number', example: '0.5' },
  integer: { expected: 'a whole number', example: '42' },
  boolean: { expected: 'true or false', example: 'true' },
  object: { expected: 'a JSON object', example: '{"key":"value"}' },
  array: { expected: 'a JSON array', example: '["a","b"]' },
};

/** Text that does not read as its declared type: what the type takes, an example, and why not. */
export class TextValueError extends Error {
  override readonly name = 'TextValueError';
  constructor(
    readonly expected: string,
    readonly example: string,
    readonly reason: string,
    /** JSON.parse's own words, which quote a piece of the text: for the person typing it, never for logs. */
    readonly detail?: string,
  ) {
    super(`expected ${expected}: ${reason}`);
  }
}
shareErrorClass(TextValueError, 'TextValueError');

function jsonOf(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A number as JSON writes it, in decimal: an optional minus, digits without leading zeros, an optional fraction and exponent. */
const DECIMAL_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Why a text that is not DECIMAL_NUMBER is refused: as precisely as can be said. */
function notDecimalReason(text: string): string {
  if (text === '') return 'empty';
  if (text.trim() !== text) return 'spaces around the number';
  const n = Number(text);
  if (Number.isNaN(n)) return 'not a number';
  if (!Number.isFinite(n)) return 'not a finite number';
  return 'not a decimal number as JSON writes it, like 16, -0.5 or 1e3';
}

/**
 * A parameter's value from text (a `--param`, an input box), read by its declared type exactly as README
 * documents it: a string keeps the text as it is (`2.0` stays "2.0"); a number or integer is a decimal
 * number as JSON writes it (`12`, `-0.5`, `1e3` — not `0x10`, `0b1`, `+1`, `.5`, `Infinity`, nor with spaces
 * around it, which Number() would all read) and must be finite; a boolean is `true` or `false` as typed
 * (not `TRUE`, `yes` or `1`); an object or array is JSON. Throws TextValueError when the text does not read
 * as the type.
 */
export function valueFromText(type: ParameterType, text: string): unknown {
  const form = TEXT_FORMS[type];
  const fail = (reason: string, detail?: string): never => {
    throw new TextValueError(form.expected, form.example, reason, detail);
  };
  switch (type) {
    case 'string':
      return text;
    case 'number':
    case 'integer': {
      if (!DECIMAL_NUMBER.test(text)) return fail(notDecimalReason(text));
      const n = Number(text);
      if (!Number.isFinite(n)) return fail('not a finite number');
      // Said of the text as typed: the number it reads as (99999999999999999999999 → 1e+23) is another one.
      if (type === 'integer' && Number.isInteger(n) && !Number.isSafeInteger(n)) return fail(`past ±${Number.MAX_SAFE_INTEGER}, which numbers hold exactly: declare it as a string to pass a larger one`);
      return n;
    }
    case 'boolean': {
      if (text === 'true' || text === 'false') return text === 'true';
      const near = text.trim().toLowerCase();
      return fail(near === 'true' || near === 'false' ? `write it as ${near}, in lower case and nothing around it` : 'neither true nor false');
    }
    case 'object':
    case 'array': {
      const parsed = jsonOf(text);
      if ('error' in parsed) return fail('not JSON', parsed.error);
      const isArray = Array.isArray(parsed.value);
      if (type === 'array' ? !isArray : isArray || parsed.value === null || typeof parsed.value !== 'object') return fail(`JSON, but not ${type === 'array' ? 'an array' : 'an object'}`);
      return parsed.value;
    }
  }
}

/** `key=value` for a shell: quoted when the value holds characters a shell would take apart. */
function paramExample(key: string, value: string, flag: string): string {
  const arg = `${key}=${value}`;
  return /^[\w.,:/@%+=-]+$/.test(arg) ? `${flag} ${arg}` : `${flag} '${arg}'`;
}

/**
 * Parameters given as text (`--param key=value`), each read by its declared type (valueFromText); an
 * undeclared one is read as JSON when it parses as JSON, else kept as text. Throws a ParameterError listing
 * every text that does not fit, each saying how to pass it.
 */
export function parametersFromText(flowName: string, declarations: ParameterDeclarations | undefined, texts: Readonly<Record<string, string>>, options: ValidationOptions = {}): Record<string, unknown> {
  const quote = quoter(options.mask);
  const { owner, noun } = subjectOf(flowName, options.subject);
  const flag = noun === 'parameter' ? '--param' : '--input';
  const out: [string, unknown][] = [];
  const problems: string[] = [];
  for (const [key, text] of Object.entries(texts)) {
    const decl = declarations !== undefined && Object.hasOwn(declarations, key) ? declarations[key]! : undefined;
    if (decl === undefined) {
      const parsed = jsonOf(text);
      if ('error' in parsed) out.push([key, text]);
      else if (typeof parsed.value === 'number' && !Number.isFinite(parsed.value)) problems.push(`'${key}' = ${quote.value(text)} is not a finite number; to pass it as text, declare '${key}' as a string ${noun}`);
      else out.push([key, parsed.value]);
      continue;
    }
    try {
      out.push([key, valueFromText(decl.type, text)]);
    } catch (e) {
      if (!(e instanceof TextValueError)) throw e;
      const examples = decl.type === 'boolean' ? `${paramExample(key, 'true', flag)} or ${paramExample(key, 'false', flag)}` : paramExample(key, e.example, flag);
      problems.push(`'${key}' must be ${e.expected}, got ${quote.value(text)} (${e.reason}); pass it as ${examples}`);
    }
  }
  if (problems.length > 0) throw new ParameterError(`Invalid ${noun === 'parameter' ? 'parameters' : 'input'} for ${owner}: ${problems.join('; ')}`, problems);
  return Object.fromEntries(out);
}
