/**
 * A table artifact's cell from what a flow put in a row. A cell shows a string, a number, a boolean or
 * nothing; anything else is shown as text, and only where that text is faithful to the value:
 *
 * - `null` and `undefined` are an empty cell; `NaN` and `±Infinity` their names; a bigint its digits; a Date
 *   its ISO text (an invalid one an empty cell);
 * - an array, a plain object or a class instance with fields is its JSON text, a Map the JSON of its
 *   `[key, value]` entries and a Set of its values (as `[...value]` spreads them), a typed array the JSON of
 *   its numbers, a value with `toJSON` (a Buffer, a URL) what that returns — at any depth;
 * - a function, a symbol, a Promise, an Error, a value that contains itself, and an object JSON would write
 *   as `{}` though it holds something (a RegExp, a WeakMap) are refused (UnshowableCell): as JSON they
 *   were their source text, left out, or `{}`, which a reader takes for what the value was.
 */
import { shareErrorClass } from './sharedErrorClass';

/** A table cell as stored: what JSON keeps exactly. */
export type TableCell = string | number | boolean | null;

/** A value no cell shows faithfully; `message` says what it is and where in the value (`a function at .format`). */
export class UnshowableCell extends Error {
  override readonly name = 'UnshowableCell';
}
shareErrorClass(UnshowableCell, 'UnshowableCell');

/**
 * Deeper than this, a value's JSON text is longer than a cell may be (1,000 characters: two brackets a
 * level), so it is refused here rather than walked to the bottom of a deep structure.
 */
const MAX_DEPTH = 500;

export function tableCell(value: unknown): TableCell {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  const ready = jsonReady(value, '', new Set(), 0);
  return ready === undefined ? null : JSON.stringify(ready);
}

/** `.name` for a name a reader would type after a dot, else `["a b"]`. */
function keyPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}]`;
}

function where(path: string): string {
  return path === '' ? '' : ` at ${path}`;
}

/** What an object is, by its class: `a RegExp`, `an Error`. */
function classOf(value: object): string {
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name !== '' ? `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}` : 'an object';
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

/**
 * `value` as data JSON.stringify writes faithfully (undefined where JSON leaves a field out), or throws
 * UnshowableCell. `inside` holds the objects being walked, so a value holding itself is found, not a stack
 * overflow.
 */
function jsonReady(value: unknown, path: string, inside: Set<object>, depth: number): unknown {
  switch (typeof value) {
    case 'undefined':
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'function':
      throw new UnshowableCell(`holds a function${where(path)}, which a table cannot show (as text it would be the function's source); put the value it computes`);
    case 'symbol':
      throw new UnshowableCell(`holds a symbol${where(path)}, which a table cannot show; put its description as a string`);
  }
  if (value === null) return null;
  const object = value as object;
  if (inside.has(object)) throw new UnshowableCell(`contains itself${where(path)}, which a table cannot show; put the part to show`);
  if (depth >= MAX_DEPTH) throw new UnshowableCell(`is nested more than ${MAX_DEPTH} levels deep${where(path)}, more than a cell can show`);
  if (object instanceof Promise) throw new UnshowableCell(`holds a Promise${where(path)}; await it and put its value`);
  if (object instanceof Error) throw new UnshowableCell(`holds ${classOf(object)}${where(path)}, which a table cannot show (as JSON its message is left out); put its message`);
  inside.add(object);
  try {
    const deeper = (item: unknown, itemPath: string): unknown => jsonReady(item, itemPath, inside, depth + 1);
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return deeper(toJSON.call(object, ''), path);
    if (Array.isArray(object)) return object.map((item, i) => deeper(item, `${path}[${i}]`) ?? null);
    if (object instanceof Map) {
      return [...object].map(([k, v], i) => [deeper(k, `${path} (key ${i + 1} of the Map)`) ?? null, deeper(v, typeof k === 'string' ? `${path}.get(${JSON.stringify(k.length > 40 ? `${k.slice(0, 40)}…` : k)})` : `${path} (value ${i + 1} of the Map)`) ?? null]);
    }
    if (object instanceof Set) return [...object].map((item, i) => deeper(item, `${path} (value ${i + 1} of the Set)`) ?? null);
    if (ArrayBuffer.isView(object) && !(object instanceof DataView)) return Array.from(object as unknown as ArrayLike<number | bigint>, (n) => deeper(n, path));
    const keys = Object.keys(object);
    if (keys.length === 0 && !isPlain(object)) {
      throw new UnshowableCell(`holds ${classOf(object)}${where(path)}, which a table cannot show (as JSON it is {}); put the text or the fields to show`);
    }
    const fields: [string, unknown][] = [];
    for (const key of keys) {
      const item = deeper((object as Record<string, unknown>)[key], keyPath(path, key));
      if (item !== undefined) fields.push([key, item]);
    }
    // Built with defineProperty semantics (fromEntries): a `__proto__` field stays a field.
    return Object.fromEntries(fields);
  } finally {
    inside.delete(object);
  }
}
