/**
 * Variables (Prefect's Variables): named JSON values kept in the store, which flows read and write
 * (`getVariable`, `setVariable`) and people set from the CLI (`flowdeck variable set`) — configuration
 * that changes without editing code: a threshold, a list of repositories, a feature switch. Not for
 * secrets: a value is shown to whoever lists them. Embedded: a file per variable, replaced whole (no
 * lock: a write is one rename); Postgres: a row each (pgVariableStore.ts).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { folderNames } from './folderNames';
import { replaceFile } from './replaceFile';
import { jsonCarries } from './serializer';
import { privateDir } from './storeHome';
import { shareErrorClass } from './sharedErrorClass';

export interface Variable {
  name: string;
  value: unknown;
  /** When it was last set (epoch ms). */
  updated: number;
}

export interface VariableStore {
  get(name: string): Promise<Variable | undefined>;
  set(name: string, value: unknown): Promise<Variable>;
  /** Every variable, by name. */
  list(): Promise<Variable[]>;
  /** Whether there was one to remove. */
  remove(name: string): Promise<boolean>;
}

/** Prefect's rule: lowercase letters, digits, `_` and `-`; here also at most 64 characters. */
const NAME = /^[a-z0-9_-]{1,64}$/;
/** A value's JSON is at most this long: variables are configuration, not data. */
export const MAX_VARIABLE_BYTES = 64 * 1024;
/** At most this many variables are listed (each file is read). */
export const MAX_VARIABLES = 10_000;

export class VariableError extends Error {
  override readonly name = 'VariableError';
}
shareErrorClass(VariableError, 'VariableError');

/** How much of a name that is not one its error quotes. */
const SHOWN_NAME_CHARS = 70;

/**
 * The name, checked; throws a VariableError saying what a name may hold. `head` cuts a long name for the
 * message: a flow's worker masks before it cuts (SecretMasker.maskedHead), so that a secret given as a
 * name and cut mid-way does not leave its first part showing where masking no longer finds it.
 */
export function checkVariableName(name: unknown, head: (text: string, chars: number) => string = (text, chars) => text.slice(0, chars)): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > SHOWN_NAME_CHARS ? `${head(name, SHOWN_NAME_CHARS)}…` : name) : typeof name;
    throw new VariableError(`Not a variable name: ${shown}. A name is 1 to 64 lowercase letters, digits, '_' and '-' (as Prefect's): \`max_retries\`, \`repos-to-watch\``);
  }
  return name;
}

/** Keys jsonCarries refuses in plain data (serializer.ts). */
const UNCARRIED_KEYS = new Set(['__proto__', 'toJSON']);

/**
 * The first key of `value`, at any depth, that JSON's form of a stored value does not take (`__proto__`,
 * `toJSON`): parsed JSON may hold them as own keys. Walked without recursion (a value may be deep).
 */
function uncarriedKey(value: unknown): string | undefined {
  const pending: unknown[] = [value];
  for (let budget = 1_000_000; pending.length > 0 && budget > 0; budget--) {
    const v = pending.pop();
    if (v === null || typeof v !== 'object') continue;
    for (const key of Object.keys(v)) {
      if (!Array.isArray(v) && UNCARRIED_KEYS.has(key)) return key;
      pending.push((v as Record<string, unknown>)[key]);
    }
  }
  return undefined;
}

/**
 * The value's JSON, checked: JSON must carry it (no undefined, functions, NaN…), within MAX_VARIABLE_BYTES.
 * `typed`: the text the value was read from (typedVariableValue), which a refusal then quotes — JSON.parse
 * reads `1e400` as Infinity and `-0` as -0, numbers JSON writes as null and 0, so such a number is named.
 */
export function variableJson(name: string, value: unknown, typed?: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new VariableError(`Variable '${name}' cannot be set: its value is not JSON (${(e as Error).message})`);
  }
  if (text === undefined) throw new VariableError(`Variable '${name}' cannot be set to ${typeof value}: a variable holds a JSON value (a string, number, boolean, null, list or object)`);
  // As an array's one element: JSON carries a top-level string, number, boolean or null the same way.
  if (!jsonCarries([value])) {
    const key = uncarriedKey(value);
    if (key !== undefined) {
      throw new VariableError(`Variable '${name}' cannot be set: it holds a key named ${JSON.stringify(key)}, which Flowdeck does not keep (a reader of the value may take it for the object's ${key === '__proto__' ? 'prototype' : 'JSON conversion'}); rename the key`);
    }
    // Parsed JSON is plain data, without such keys: only a number can be what JSON does not carry.
    if (typed !== undefined) {
      const given = typed.length > 60 ? 'the value given' : JSON.stringify(typed);
      throw new VariableError(`Variable '${name}' cannot be set to ${given}: it holds a number JSON cannot hold (one beyond ±1.8e308 reads as Infinity, written null; -0 is written 0); give a number JSON holds, or set it as text (\`--string\`)`);
    }
    throw new VariableError(`Variable '${name}' cannot be set: JSON does not carry its value exactly (a Date, Map, NaN, undefined or the same object twice inside); set plain data`);
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_VARIABLE_BYTES) throw new VariableError(`Variable '${name}' is ${bytes.toLocaleString('en-US')} bytes as JSON; the limit is ${MAX_VARIABLE_BYTES.toLocaleString('en-US')} (keep data in task results or files)`);
  return text;
}

/**
 * Throws a VariableError when the name or the value holds a secret `mask` knows (GITHUB_TOKEN, a stored
 * token, an account connected in the editor…): a variable is kept in the store and shown to whoever lists
 * them, never masked, so `flowdeck variable set` and the editor's "Variables…" refuse it alike. The message
 * quotes the name masked, never the secret.
 */
export function refuseSecretVariable(name: string, value: unknown, mask: (text: string) => string): void {
  const given = `${name} ${JSON.stringify(value)}`;
  const masked = mask(given);
  if (masked === given) return;
  const maskedName = masked.slice(0, masked.indexOf(' '));
  throw new VariableError(`variable '${maskedName.length > 80 ? `${maskedName.slice(0, 79)}…` : maskedName}' was given a secret's value (GITHUB_TOKEN, a stored token…): variables are kept in the store and shown to whoever lists them, so nothing was set; let the flow read the secret from its environment instead`);
}

/** A value as typed (CLI, input box): JSON when it is JSON (`42`, `true`, `["a"]`), else the text itself. */
export function typedVariableValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A value as text to type again: `typedVariableValue` of it gives the value back. */
export function variableValueText(value: unknown): string {
  return typeof value === 'string' && typedVariableValue(value) === value ? value : JSON.stringify(value);
}

/** `<home>/variables/<name>.json`: `{ name, value, updated }`. */
export class FileVariableStore implements VariableStore {
  private readonly dir: string;

  constructor(
    home: string,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = join(home, 'variables');
  }

  private file(name: string): string {
    return join(this.dir, `${checkVariableName(name)}.json`);
  }

  async get(name: string): Promise<Variable | undefined> {
    const text = await readFile(this.file(name), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    return text === undefined ? undefined : parseEntry(name, text);
  }

  async set(name: string, value: unknown): Promise<Variable> {
    const file = this.file(name);
    const json = variableJson(name, value);
    const updated = this.now();
    await privateDir(this.dir);
    await replaceFile(file, `{"name":${JSON.stringify(name)},"updated":${updated},"value":${json}}`);
    return { name, value: JSON.parse(json) as unknown, updated };
  }

  async list(): Promise<Variable[]> {
    const files = (await folderNames(this.dir)).filter((f) => f.endsWith('.json') && NAME.test(f.slice(0, -5))).sort();
    const out: Variable[] = [];
    for (const f of files.slice(0, MAX_VARIABLES)) {
      const name = f.slice(0, -5);
      const text = await readFile(join(this.dir, f), 'utf8').catch(() => undefined);
      // One file that is not a variable (edited by hand, torn) is left out, not the whole list: \`get\` of it says so.
      const v = text === undefined ? undefined : readableEntry(name, text);
      if (v) out.push(v);
    }
    return out;
  }

  async remove(name: string): Promise<boolean> {
    const file = this.file(name);
    const there = (await readFile(file).catch(() => undefined)) !== undefined;
    await rm(file, { force: true });
    return there;
  }
}

/** A variable's file as read; one that is not one (torn by hand, another name inside) is said so. */
function readableEntry(name: string, text: string): Variable | undefined {
  try {
    return parseEntry(name, text);
  } catch {
    return undefined;
  }
}

function parseEntry(name: string, text: string): Variable {
  try {
    const e = JSON.parse(text) as Partial<Variable>;
    if (e.name === name && typeof e.updated === 'number' && 'value' in e) return { name, value: e.value, updated: e.updated };
  } catch {
    // Said below.
  }
  throw new VariableError(`Variable '${name}' could not be read: its file in the store is not a variable (edited by hand?); set it again`);
}
