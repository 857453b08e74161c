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

/**
 * Checks `given` against `declarations`, fills in declared defaults, and returns the parameters to run
 * with. Throws a ParameterError listing every problem at once.
 */
export function validateParameters(
  flowName: string,
  declarations: ParameterDeclarations | undefined,
  given: Record<string, unknown>,
): Record<string, unknown> {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    throw new ParameterError(`Parameters for flow '${flowName}' must be an object of name → value`, ['not an object']);
  }
  if (!declarations) return { ...given };
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(declarations, key)) {
      const known = Object.keys(declarations);
      problems.push(`unknown parameter '${key}'${known.length ? ` (expected one of: ${known.join(', ')})` : ' (this flow takes no parameters)'}`);
    }
  }
  for (const [key, decl] of Object.entries(declarations)) {
    if (given[key] === undefined) {
      if (decl.default !== undefined) out[key] = structuredClone(decl.default);
      else if (decl.required) problems.push(`missing required parameter '${key}'${decl.description ? ` (${decl.description})` : ''}`);
      continue;
    }
    const problem = checkValue(key, decl, given[key]);
    if (problem) problems.push(problem);
    else out[key] = given[key];
  }
  if (problems.length > 0) {
    throw new ParameterError(`Invalid parameters for flow '${flowName}': ${problems.join('; ')}`, problems);
  }
  return out;
}

function checkValue(key: string, decl: ParameterDeclaration, value: unknown): string | undefined {
  const actual = describeType(value);
  switch (decl.type) {
    case 'string':
      if (typeof value !== 'string') return `'${key}' must be a string, got ${actual}`;
      if (decl.pattern !== undefined && !new RegExp(`^(?:${decl.pattern})$`).test(value)) {
        return `'${key}' = ${JSON.stringify(value)} does not match the pattern ${decl.pattern}`;
      }
      break;
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `'${key}' must be ${decl.type === 'integer' ? 'an integer' : 'a number'}, got ${actual}`;
      if (decl.type === 'integer' && !Number.isInteger(value)) return `'${key}' must be an integer, got ${value}`;
      if (decl.minimum !== undefined && value < decl.minimum) return `'${key}' must be ≥ ${decl.minimum}, got ${value}`;
      if (decl.maximum !== undefined && value > decl.maximum) return `'${key}' must be ≤ ${decl.maximum}, got ${value}`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `'${key}' must be true or false, got ${actual}`;
      break;
    case 'array':
      if (!Array.isArray(value)) return `'${key}' must be an array, got ${actual}`;
      break;
    case 'object':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `'${key}' must be an object, got ${actual}`;
      break;
  }
  if (decl.enum && !decl.enum.includes(value as string | number | boolean)) {
    return `'${key}' must be one of ${decl.enum.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`;
  }
  return undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
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
