/**
 * The questions "Run Flow with Parameters…" asks: one input box per declared parameter, or one JSON
 * object when the flow declares none. Pure (no `vscode`): the command feeds these to showInputBox, and
 * tests drive them with plain strings. Checks reuse the engine's validateParameters, so the box says
 * exactly what the run would have refused.
 */
import { ParameterError, TextValueError, validateParameters, valueFromText, type DeclaredSubject, type ParameterDeclaration, type ParameterDeclarations } from '../../engine/parameters';

/** Whose values are asked for: a flow's parameters (the default), or a paused run's input. */
export interface PromptSubject {
  /** The boxes' title before `(1/3): key`: `Run etl`, `Resume deploy-7`. */
  action?: string;
  /** For messages (ParameterError): whose values, and what they are. */
  subject?: DeclaredSubject;
  /** Said before each box's own prompt: what the values are for (a pause's description). */
  about?: string;
}

export interface ParameterPrompt {
  key: string;
  title: string;
  prompt: string;
  /** What the box starts with: the default, so Enter keeps it (a secret's is never shown: empty keeps it). */
  value: string;
  /** A secret parameter (`secret: true`): what is typed is not shown. */
  password: boolean;
  placeHolder: string;
  /** A message to show under the box, or undefined when the text is acceptable. */
  validate(text: string): string | undefined;
  /** The value to pass; `undefined` leaves the parameter out, so its default applies. */
  parse(text: string): { value: unknown } | undefined;
}

class InputError extends Error {}

function render(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Text → value for a declared type, read as the engine reads `--param`; throws InputError saying what to type. */
function parseText(decl: ParameterDeclaration, text: string): unknown {
  try {
    return valueFromText(decl.type, text);
  } catch (e) {
    if (!(e instanceof TextValueError)) throw e;
    throw new InputError(`Type ${e.expected}, e.g. ${e.example} (${e.reason}${e.detail ? `: ${e.detail}` : ''})`);
  }
}

function describe(key: string, decl: ParameterDeclaration): string {
  const facts: string[] = [decl.type];
  if (decl.required && decl.default === undefined) facts.push('required');
  if (decl.enum) facts.push(`one of ${decl.enum.map(render).join(', ')}`);
  if (decl.secret) facts.push('secret');
  if (decl.default !== undefined) facts.push(decl.secret ? 'leave empty for its default' : `default ${JSON.stringify(decl.default)}`);
  else if (!decl.required) facts.push('optional: leave empty to let the flow decide');
  return `${decl.description ? `${decl.description} ` : ''}(${key}: ${facts.join('; ')})`;
}

export function parameterPrompts(flowName: string, declarations: ParameterDeclarations, asked: PromptSubject = {}): ParameterPrompt[] {
  const keys = Object.keys(declarations);
  const checks = asked.subject ? { subject: asked.subject } : {};
  return keys.map((key, index) => {
    const decl = declarations[key]!;
    const parse = (text: string): { value: unknown } | undefined => (text === '' ? undefined : { value: parseText(decl, text) });
    return {
      key,
      title: `${asked.action ?? `Run ${flowName}`} (${index + 1}/${keys.length}): ${key}`,
      prompt: `${asked.about ? `${asked.about} — ` : ''}${describe(key, decl)}`,
      value: decl.default === undefined || decl.secret ? '' : render(decl.default),
      password: decl.secret === true,
      placeHolder: decl.default === undefined ? (decl.enum ? decl.enum.map(render).join(' | ') : decl.type) : decl.secret ? 'the default' : render(decl.default),
      parse,
      validate(text) {
        try {
          const parsed = parse(text);
          validateParameters(flowName, { [key]: decl }, parsed === undefined ? {} : { [key]: parsed.value }, checks);
          return undefined;
        } catch (e) {
          if (e instanceof InputError) return e.message;
          if (e instanceof ParameterError) return e.problems.join('; ');
          throw e;
        }
      },
    };
  });
}

/** Without a declaration the flow takes whatever object it is given: one box for all of it. */
export function jsonParametersPrompt(flowName: string): ParameterPrompt {
  const parse = (text: string): { value: unknown } => {
    if (text.trim() === '') return { value: {} };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new InputError(`Not JSON: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError('Type a JSON object of name → value, e.g. {"name": "Ada"}');
    return { value: parsed };
  };
  return {
    key: '',
    title: `Run ${flowName}: parameters`,
    prompt: `Parameters for flow '${flowName}' as a JSON object (the flow declares none, so they are passed as given)`,
    value: '{}',
    password: false,
    placeHolder: '{"name": "value"}',
    parse,
    validate(text) {
      try {
        parse(text);
        return undefined;
      } catch (e) {
        if (e instanceof InputError) return e.message;
        throw e;
      }
    },
  };
}

/**
 * Puts the answers together and checks them as a whole (defaults filled in). Throws ParameterError when
 * the engine would refuse them. `answers` holds the text typed into each prompt, by key.
 */
export function collectParameters(flowName: string, declarations: ParameterDeclarations | undefined, answers: ReadonlyMap<string, string>, asked: PromptSubject = {}): Record<string, unknown> {
  const checks = asked.subject ? { subject: asked.subject } : {};
  const invalid = asked.subject ? `Invalid ${asked.subject.noun === 'input' ? 'input' : 'parameters'} for ${asked.subject.owner}` : `Invalid parameters for flow '${flowName}'`;
  const parse = (prompt: ParameterPrompt, text: string): { value: unknown } | undefined => {
    try {
      return prompt.parse(text);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      const where = prompt.key === '' ? '' : `'${prompt.key}': `;
      throw new ParameterError(`${invalid}: ${where}${e.message}`, [e.message]);
    }
  };
  if (!declarations) {
    const parsed = parse(jsonParametersPrompt(flowName), answers.get('') ?? '{}');
    return validateParameters(flowName, undefined, (parsed?.value ?? {}) as Record<string, unknown>, checks);
  }
  const given: Record<string, unknown> = {};
  for (const prompt of parameterPrompts(flowName, declarations, asked)) {
    const text = answers.get(prompt.key);
    const parsed = text === undefined ? undefined : parse(prompt, text);
    if (parsed !== undefined) given[prompt.key] = parsed.value;
  }
  const parameters = validateParameters(flowName, declarations, given, checks);
  // A secret left empty is left out: its default is filled in by the run's worker, from the flow file,
  // never carried by the editor (what it read of the file may show it masked).
  for (const [key, decl] of Object.entries(declarations)) if (decl.secret && !Object.hasOwn(given, key)) delete parameters[key];
  return parameters;
}
