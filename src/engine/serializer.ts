/**
 * How results, cache entries and checkpoints are kept: devalue, which round-trips what structured clone
 * can carry (Date, Map, Set, BigInt, RegExp, URL, typed arrays, undefined, NaN/±Infinity, -0, sparse
 * arrays, cycles and shared references). Errors keep their name, message, stack and cause; instances of
 * user classes come back as plain objects, as structured clone does. What cannot be kept (a function, a
 * symbol, a promise, a socket or stream) is a SerializeError naming where in the value it sits.
 *
 * A stored value is plain JSON, so it can sit inside a journal line. It is one of two forms:
 * - `{"json": value}` for a value JSON itself carries exactly (plain objects and arrays of finite numbers,
 *   strings, booleans and null, no shared references): V8's own JSON writes and reads it, 10× faster than
 *   devalue for large results;
 * - devalue's flattened form otherwise (an array, or a negative number for undefined and the like).
 *   Primitives and short arrays of them keep devalue's text, written without its machinery.
 * `toJsonView` turns a value into something JSON can print, for `--json` and the views.
 */
import { EventEmitter } from 'node:events';
import { stringify, unflatten } from 'devalue';
import { shareErrorClass } from './sharedErrorClass';

export class SerializeError extends Error {
  override readonly name = 'SerializeError';
  constructor(
    message: string,
    /** Where in the value, like `.rows[3].fetch`; empty for the value itself. */
    readonly path: string,
  ) {
    super(message);
  }
}
shareErrorClass(SerializeError, 'SerializeError');

const BUILTIN_TAGS = new Set([
  'Array',
  'Date',
  'RegExp',
  'Map',
  'Set',
  'URL',
  'URLSearchParams',
  'ArrayBuffer',
  'DataView',
  'Number',
  'String',
  'Boolean',
  'BigInt',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
]);

function tagOf(v: object): string {
  return Object.prototype.toString.call(v).slice(8, -1);
}

interface ErrorShape {
  name: string;
  message: string;
  stack?: string;
  cause?: unknown;
  errors?: unknown[];
}

function reducers(mask?: (text: string) => string): Record<string, (value: unknown) => unknown> {
  const out: Record<string, (value: unknown) => unknown> = {
    Err: (v) => {
      if (!(v instanceof Error)) return false;
      const e: ErrorShape = { name: v.name, message: v.message };
      if (v.stack !== undefined) e.stack = v.stack;
      if ('cause' in v) e.cause = v.cause;
      if (v instanceof AggregateError) e.errors = [...v.errors];
      return e;
    },
    Obj: (v) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
      const proto = Object.getPrototypeOf(v) as object | null;
      if (proto === Object.prototype || proto === null || BUILTIN_TAGS.has(tagOf(v)) || ArrayBuffer.isView(v)) return false;
      if (typeof (v as { then?: unknown }).then === 'function') throw new SerializeError('Cannot keep a promise: await it before returning it', '');
      if (v instanceof EventEmitter) throw new SerializeError(`Cannot keep a ${v.constructor?.name ?? 'event emitter'} (a socket, stream or other live object)`, '');
      if (v instanceof WeakMap || v instanceof WeakSet || v instanceof WeakRef) throw new SerializeError(`Cannot keep a ${tagOf(v)}`, '');
      // Own enumerable fields only, as structured clone copies a class instance.
      return { ...(v as Record<string, unknown>) };
    },
  };
  if (mask) {
    out.Str = (v) => {
      if (typeof v !== 'string') return false;
      const masked = mask(v);
      // An empty result would read as "not reduced": a masked string is never empty anyway.
      return masked !== v ? [masked] : false;
    };
    out.Keys = (v) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v) || Object.getPrototypeOf(v) !== Object.prototype) return false;
      const keys = Object.keys(v);
      if (!keys.some((k) => mask(k) !== k)) return false;
      const copy: Record<string, unknown> = {};
      for (const k of keys) copy[mask(k)] = (v as Record<string, unknown>)[k];
      return copy;
    };
  }
  return out;
}

const PLAIN_REDUCERS = reducers();

const REVIVERS: Record<string, (value: never) => unknown> = {
  Err: (e: ErrorShape) => {
    const error = e.errors ? new AggregateError(e.errors, e.message) : new Error(e.message, 'cause' in e ? { cause: e.cause } : undefined);
    if (e.name !== error.name) Object.defineProperty(error, 'name', { value: e.name, enumerable: false, configurable: true, writable: true });
    if (e.stack !== undefined) error.stack = e.stack;
    return error;
  },
  Obj: (v: unknown) => v,
  Str: ([s]: [string]) => s,
  Keys: (v: unknown) => v,
};

/** A primitive as devalue writes it in its value list, or undefined if it takes devalue's machinery. */
function plainText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? String(v) : undefined;
    case 'boolean':
      return String(v);
    case 'string':
      return v.length < 200 && !/[<\\"\u0000-\u001f\u2028\u2029\ud800-\udfff]/.test(v) ? `"${v}"` : undefined;
    case 'object':
      return v === null ? 'null' : undefined;
    default:
      return undefined;
  }
}

/**
 * A short array of plain primitives (a task's arguments, most often) exactly as devalue writes it — the
 * array's references, then each distinct value once — without its machinery; undefined for anything else.
 */
function shortArray(arr: readonly unknown[]): string | undefined {
  if (arr.length > 16 || Object.getPrototypeOf(arr) !== Array.prototype) return undefined;
  if (arr.length === 1 && 0 in arr) {
    // One argument, the common call (a map over items): no bookkeeping of repeated values needed.
    const v = arr[0];
    if (v === undefined) return '[[-1]]';
    const text = plainText(v);
    return text === undefined ? undefined : `[[1],${text}]`;
  }
  const refs: string[] = [];
  const values: string[] = [];
  const seen = new Map<unknown, number>();
  for (let i = 0; i < arr.length; i++) {
    if (!(i in arr)) return undefined;
    const v = arr[i];
    if (v === undefined) {
      refs.push('-1');
      continue;
    }
    let at = seen.get(v);
    if (at === undefined) {
      const text = plainText(v);
      if (text === undefined) return undefined;
      values.push(text);
      at = values.length;
      seen.set(v, at);
    }
    refs.push(String(at));
  }
  return `[[${refs.join(',')}]${values.length > 0 ? `,${values.join(',')}` : ''}]`;
}

/**
 * Whether JSON carries `root` exactly: plain objects and arrays (no holes, no `toJSON`) of strings, finite
 * numbers other than -0, booleans and null, each object reached once (no cycles, no shared references,
 * which JSON would copy). With `mask`, also that no string or key holds a secret: those go devalue's way,
 * which masks them where they sit.
 */
export function jsonCarries(root: object, mask?: (text: string) => string): boolean {
  const seen = new Set<object>();
  const pending: object[] = [root];
  const fits = (v: unknown): boolean => {
    switch (typeof v) {
      case 'string':
        return mask === undefined || mask(v) === v;
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0);
      case 'boolean':
        return true;
      case 'object':
        if (v === null) return true;
        if (seen.has(v)) return false;
        seen.add(v);
        pending.push(v);
        return true;
      default:
        return false;
    }
  };
  seen.add(root);
  for (let o = pending.pop(); o !== undefined; o = pending.pop()) {
    const proto = Object.getPrototypeOf(o) as object | null;
    if (proto === Array.prototype) {
      const arr = o as unknown[];
      if ((arr as { toJSON?: unknown }).toJSON !== undefined) return false;
      for (let i = 0; i < arr.length; i++) if (!(i in arr) || !fits(arr[i])) return false;
    } else if (proto === Object.prototype) {
      const obj = o as Record<string, unknown>;
      for (const key of Object.keys(obj)) {
        if (key === '__proto__' || key === 'toJSON' || (mask !== undefined && mask(key) !== key) || !fits(obj[key])) return false;
      }
    } else {
      return false;
    }
  }
  return true;
}

/** Whether `v` is a stored value's form: devalue's flattened form or `{"json": …}`. */
export function isStoredForm(v: unknown): boolean {
  if (Array.isArray(v) || typeof v === 'number') return true;
  return v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && Object.hasOwn(v, 'json') && Object.keys(v).length === 1;
}

/** A stored form that is not devalue's (an array or a number) is `{"json": …}`: its value, as it is. */
function jsonFormOf(flattened: unknown): { value: unknown } | undefined {
  return flattened !== null && typeof flattened === 'object' && !Array.isArray(flattened) ? { value: (flattened as { json: unknown }).json } : undefined;
}

/**
 * The value as stored text (JSON): `{"json": …}` when JSON carries it exactly, devalue's text otherwise.
 * `mask` replaces secrets in every string on the way. Throws a SerializeError naming the path of what
 * cannot be kept.
 */
export function serialize(value: unknown, mask?: (text: string) => string): string {
  if (value !== null && typeof value === 'object') {
    // A short array of primitives: devalue's text without its machinery is quicker still than the walk.
    const quick = mask === undefined && Array.isArray(value) ? shortArray(value) : undefined;
    if (quick !== undefined) return quick;
    if (jsonCarries(value, mask)) {
      try {
        return `{"json":${JSON.stringify(value)}}`;
      } catch (e) {
        if (e instanceof RangeError) throw new SerializeError(`The value is too large to keep (${e.message})`, '');
        throw e;
      }
    }
  }
  return devalueText(value, mask);
}

/** An argument list's JSON at least this long is its identity's text, instead of devalue's (see identityText). */
const JSON_IDENTITY_CHARS = 1024;
/** Fewer values than this in an argument list: its identity is devalue's text without a look at its JSON. */
const SMALL_NODES = 64;

/** Whether `root` holds at least `count` values (objects, arrays and what is in them), counting no further. */
function hasNodes(root: object, count: number): boolean {
  const pending: unknown[] = [root];
  let seen = 0;
  for (let v = pending.pop(); v !== undefined || pending.length > 0; v = pending.pop()) {
    if (++seen >= count) return true;
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      // A long array answers at once, without pushing its every element first.
      if (seen + v.length >= count) return true;
      for (const x of v) pending.push(x);
    }
    else for (const key in v) pending.push((v as Record<string, unknown>)[key]);
  }
  return false;
}

/**
 * The text a call's identity is made of. Short or not JSON-plain arguments: devalue's text, as every
 * version has used. Long plain arguments (`json: true`): their JSON, 10× faster to make than devalue's —
 * an identity in that form is told apart by its caller, which checks a checkpoint of an earlier version
 * against `devalueText` instead.
 */
export function identityText(args: readonly unknown[]): { json: boolean; text: string } {
  const quick = shortArray(args);
  if (quick !== undefined) return { json: false, text: quick };
  // A few values (a map's call of one small object, most often): devalue's text at once, without the
  // walk and the JSON that would be thrown away (together 1–4 µs a call here).
  if (hasNodes(args, SMALL_NODES) && jsonCarries(args)) {
    const text = JSON.stringify(args);
    if (text.length >= JSON_IDENTITY_CHARS) return { json: true, text };
  }
  return { json: false, text: devalueText(args) };
}

/**
 * The value as devalue text (JSON), always: what every call's identity was made of before `identityText`,
 * checked against so that a run begun by an earlier version resumes with the same identities. `mask`
 * replaces secrets in every string on the way. Throws a SerializeError naming the path of what cannot be
 * kept.
 */
export function devalueText(value: unknown, mask?: (text: string) => string): string {
  // The common results — a number, a short string, a boolean, null — as devalue writes them, without
  // its machinery (a map of 20,000 tasks serializes 20,000 of them).
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value) && !Object.is(value, -0)) return `[${value}]`;
      break;
    case 'boolean':
      return `[${value}]`;
    case 'undefined':
      return '-1';
    case 'string':
      if (value.length < 200 && !mask && !/[<\\"\u0000-\u001f\u2028\u2029\ud800-\udfff]/.test(value)) return `["${value}"]`;
      break;
    case 'object':
      if (value === null) return '[null]';
      if (!mask && Array.isArray(value)) {
        const fast = shortArray(value);
        if (fast !== undefined) return fast;
      }
      break;
  }
  try {
    return stringify(value, mask ? reducers(mask) : PLAIN_REDUCERS);
  } catch (e) {
    if (e instanceof SerializeError) throw e;
    const err = e as Error & { path?: string };
    if (err.name === 'DevalueError') {
      const what = err.message.replace(/^Cannot stringify /, '').replace(/^arbitrary non-POJOs$/, 'an object of an unsupported kind');
      throw new SerializeError(`Cannot keep ${what}${err.path ? ` at ${err.path}` : ''}`, err.path ?? '');
    }
    if (err instanceof RangeError) throw new SerializeError(`The value is too large to keep (${err.message})`, '');
    throw e;
  }
}

/** The flattened (parsed) form of a value, as kept inside a journal record. */
export function flatten(value: unknown): unknown {
  return JSON.parse(serialize(value)) as unknown;
}

/** The value back from its stored form (parsed). */
export function deserialize(flattened: unknown): unknown {
  const json = jsonFormOf(flattened);
  if (json) return json.value;
  return unflatten(flattened as number | unknown[], REVIVERS as Record<string, (value: unknown) => unknown>);
}

/** The value back from devalue text. */
export function parseSerialized(text: string): unknown {
  return deserialize(JSON.parse(text));
}

/** The JSON view (toJsonView) of a stored value's form: a `{"json": …}` value is its own view, not copied. */
export function storedJsonView(flattened: unknown): unknown {
  const json = jsonFormOf(flattened);
  if (json) return json.value;
  return toJsonView(deserialize(flattened));
}

/** The JSON view (toJsonView) of a stored value's text. */
export function textJsonView(text: string): unknown {
  return storedJsonView(JSON.parse(text));
}

/**
 * A JSON-printable view of a value: dates as ISO strings, maps as objects (or entry lists when a key is
 * not a string), sets and typed arrays as arrays, bigints as strings, non-finite numbers as null,
 * errors as `{ name, message }`, a cycle as the string `[Circular]`.
 */
export function toJsonView(value: unknown): unknown {
  const seen = new Set<object>();
  const walk = (v: unknown): unknown => {
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return v;
      case 'number':
        return Number.isFinite(v) ? v : null;
      case 'bigint':
        return v.toString();
      case 'undefined':
      case 'function':
      case 'symbol':
        return null;
    }
    if (v === null) return null;
    const o = v as object;
    if (seen.has(o)) return '[Circular]';
    seen.add(o);
    try {
      if (o instanceof Date) return Number.isNaN(o.getTime()) ? null : o.toISOString();
      if (o instanceof RegExp || o instanceof URL || o instanceof URLSearchParams) return String(o);
      if (o instanceof Error) return { name: o.name, message: o.message, ...('cause' in o ? { cause: walk(o.cause) } : {}) };
      if (o instanceof Map) {
        const entries = [...o.entries()];
        if (entries.every(([k]) => typeof k === 'string')) return Object.fromEntries(entries.map(([k, x]) => [k, walk(x)]));
        return entries.map(([k, x]) => [walk(k), walk(x)]);
      }
      if (o instanceof Set) return [...o].map(walk);
      if (ArrayBuffer.isView(o)) return Array.from(o as unknown as ArrayLike<number | bigint>, (x) => walk(x));
      if (o instanceof ArrayBuffer) return Array.from(new Uint8Array(o));
      if (Array.isArray(o)) return Array.from(o, (x) => walk(x));
      // Own properties only: a key named `__proto__` stays a key.
      return Object.fromEntries(Object.entries(o).flatMap(([k, x]) => (x === undefined ? [] : [[k, walk(x)]])));
    } finally {
      seen.delete(o);
    }
  };
  return walk(value);
}
