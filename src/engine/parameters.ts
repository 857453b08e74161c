/**
 * Parameter declarations: enough for a UI to prompt and for the engine to validate. A flow without a
 * declaration accepts whatever it is given (its function's defaults apply).
 */

export type ParameterType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';

export interface ParameterDeclaration {
  type: ParameterType;
  description?: string;
  default?: unknown;
  /** A parameter without a default that must be given. */
  required?: boolean;
  enum?: readonly (string | number | boolean)[];
  /** For strings: a regular expression the whole value must match. */
  pattern?: string;
  minimum?: number;
  maximum?: number;
}

export type ParameterDeclarations = Record<string, ParameterDeclaration>;

export class ParameterError extends Error {
  override readonly name = 'ParameterError';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
  }
}

export interface ValidationOptions {
  /**
   * Masks the secrets in a text. A value quoted in an error message goes through it whole, before it is
   * shortened: a secret cut short could no longer be recognised. Without it, a string is quoted only
   * whole, so a masker applied to the message later still finds a secret in it; a string too long to
   * quote whole is described by its length.
   */
  mask?: (text: string) => string;
}

/** Quoted values are cut to this length so a huge parameter cannot make a huge message. */
const QUOTE_LIMIT = 40;

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
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new ParameterError(`Parameters for flow '${flowName}' must be an object of name → value`, ['not an object']);
  }
  if (!declarations) return { ...given };
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(declarations, key)) {
      const known = Object.keys(declarations);
      problems.push(`unknown parameter ${quote.name(key)}${known.length ? ` (expected one of: ${known.join(', ')})` : ' (this flow takes no parameters)'}`);
    }
  }
  for (const [key, decl] of Object.entries(declarations)) {
    if (given[key] === undefined) {
      if (decl.default !== undefined) out[key] = structuredClone(decl.default);
      else if (decl.required) problems.push(`missing required parameter '${key}'${decl.description ? ` (${decl.description})` : ''}`);
      continue;
    }
    const problem = checkValue(key, decl, given[key], quote);
    if (problem) problems.push(problem);
    else out[key] = given[key];
  }
  if (problems.length > 0) {
    throw new ParameterError(`Invalid parameters for flow '${flowName}': ${problems.join('; ')}`, problems);
  }
  return out;
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

/** Checks that a declaration itself is well-formed (it comes from untrusted flow files). */
export function checkDeclarations(flowName: string, declarations: unknown): ParameterDeclarations | undefined {
  if (declarations === undefined) return undefined;
  if (declarations === null || typeof declarations !== 'object' || Array.isArray(declarations)) {
    throw new TypeError(`flow '${flowName}': options.parameters must be an object of name → { type, default?, description? }`);
  }
  const types: readonly string[] = ['string', 'number', 'integer', 'boolean', 'object', 'array'];
  for (const [key, decl] of Object.entries(declarations)) {
    const type = (decl as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !types.includes(type)) {
      throw new TypeError(`flow '${flowName}': parameter '${key}' needs a type, one of ${types.join(', ')}`);
    }
    const pattern = (decl as ParameterDeclaration).pattern;
    if (pattern !== undefined) {
      try {
        new RegExp(pattern);
      } catch (e) {
        throw new TypeError(`flow '${flowName}': parameter '${key}' has an invalid pattern: ${(e as Error).message}`);
      }
    }
  }
  return declarations as ParameterDeclarations;
}

/**
 * `--param key=value`: the value is JSON when it parses as JSON (numbers, booleans, objects), else a string.
 */
export function parseParamAssignment(assignment: string): [string, unknown] {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ParameterError(`--param expects key=value, got '${assignment}'`, ['malformed --param']);
  const key = assignment.slice(0, eq);
  const raw = assignment.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}
